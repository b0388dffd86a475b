package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.ModelsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
  @TempDir Path nodeData;

  @Test
  void httpModelRelativeToTheWorkingDirectoryServesItsOwnTask() throws Exception {
    Path relative = Path.of("").toAbsolutePath().relativize(Home.shippedModel("urban"));

    BenchCommand.HttpModels models = BenchCommand.httpModels(relative);

    // The benchmark's node resolves model folders against its own (temporary) home.
    Map<String, Path> served =
        new ModelsConfig(models.waste().toString(), models.urban().toString(), true)
            .packages(nodeData);
    assertEquals("urban", ModelPackage.read(served.get("urban")).spec().task());
    assertEquals(Home.shippedModel("urban"), served.get("urban"));
    assertEquals("waste", ModelPackage.read(served.get("waste")).spec().task());
    assertEquals(true, Files.isRegularFile(served.get("waste").resolve(ModelPackage.SPEC_FILE)));
  }

  @Test
  void shadowRateOutsideItsRangeOrWithoutHttpIsRefusedBeforeAnythingStarts() {
    for (String[] args :
        new String[][] {
          {"bench", "http", "--shadow-rate", "0"},
          {"bench", "http", "--shadow-rate", "1.5"},
          {"bench", "core", "--shadow-rate", "0.1"}
        }) {
      CliRun run = CliRun.of(args);
      assertEquals(2, run.exit(), run.err());
      assertTrue(
          run.err()
              .contains(
                  "--shadow-rate applies to bench http and must be greater than 0 and at most 1"),
          run.err());
    }
  }
}
