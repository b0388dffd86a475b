package org.cityvision.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cityvision.core.model.ModelPackage;
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
    Map<String, Path> served = new ModelsConfig(models.waste().toString(), models.urban().toString(), true)
        .packages(nodeData);
    assertEquals("urban", ModelPackage.read(served.get("urban")).spec().task());
    assertEquals(Home.shippedModel("urban"), served.get("urban"));
    assertEquals("waste", ModelPackage.read(served.get("waste")).spec().task());
    assertEquals(true, Files.isRegularFile(served.get("waste").resolve(ModelPackage.SPEC_FILE)));
  }
}
