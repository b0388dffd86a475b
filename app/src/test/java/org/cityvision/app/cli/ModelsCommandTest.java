package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.testing.EmbeddedStore;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cityvision models} against the embedded store of a data directory: answers, errors, exit
 * codes.
 */
class ModelsCommandTest {
  @TempDir Path dir;

  private ModelPackage pkg(String version) throws Exception {
    Path p = dir.resolve("packages").resolve(version);
    ModelPackage.writeSpec(
        p, TestModels.spec("waste", TestModels.WASTE_LABELS, 64).withVersion(version));
    byte[] weights = new byte[50_000];
    new Random(version.hashCode()).nextBytes(weights);
    Files.write(p.resolve("model-0000.params"), weights);
    return ModelPackage.read(p);
  }

  private String data() throws Exception {
    Path data = dir.resolve("data");
    try (EmbeddedStore embedded = EmbeddedStore.open(data)) {
      FrameStore store = embedded.store();
      store.models().seed(pkg("1.0.0"));
      store.models().put(pkg("2.0.0"), "test");
    }
    return data.toString();
  }

  @Test
  void promoteAndRollbackChangeTheLiveVersionAndListShowsIt() throws Exception {
    String data = data();

    CliRun promoted =
        CliRun.of(
            "models",
            "promote",
            "--data",
            data,
            "--name",
            "waste",
            "--version",
            "2.0.0",
            "--reason",
            "better on holdout");
    assertEquals(0, promoted.exit(), promoted.err());
    JsonObject pointer = new JsonObject(promoted.out().strip());
    assertEquals("2.0.0", pointer.getString("version"));
    assertEquals("1.0.0", pointer.getString("previous"));
    assertEquals("better on holdout", pointer.getString("reason"));

    CliRun listed = CliRun.of("models", "list", "--data", data, "--name", "waste");
    assertEquals(0, listed.exit(), listed.err());
    JsonObject entry = new JsonObject(listed.out().strip());
    assertEquals("2.0.0", entry.getJsonObject("live").getString("version"));
    assertEquals(2, entry.getJsonArray("versions").size());
    assertEquals(2, entry.getJsonArray("history").size());

    CliRun back = CliRun.of("models", "rollback", "--data", data, "--name", "waste");
    assertEquals(0, back.exit(), back.err());
    assertEquals("1.0.0", new JsonObject(back.out().strip()).getString("version"));
    assertTrue(back.err().contains("now serves 1.0.0"), back.err());
  }

  @Test
  void refusalsAndUnknownsExitWithTheirOwnCodes() throws Exception {
    String data = data();

    CliRun live =
        CliRun.of("models", "promote", "--data", data, "--name", "waste", "--version", "1.0.0");
    assertEquals(ModelsCommand.REFUSED, live.exit(), live.err());
    assertTrue(live.err().contains("already live"), live.err());
    CliRun noPrevious = CliRun.of("models", "rollback", "--data", data, "--name", "waste");
    assertEquals(ModelsCommand.REFUSED, noPrevious.exit(), noPrevious.err());
    assertTrue(noPrevious.err().contains("no version to roll back to"), noPrevious.err());
    CliRun unknown =
        CliRun.of("models", "promote", "--data", data, "--name", "waste", "--version", "9.9.9");
    assertEquals(ModelsCommand.NOT_FOUND, unknown.exit(), unknown.err());
    assertEquals(
        ModelsCommand.NOT_FOUND,
        CliRun.of("models", "list", "--data", data, "--name", "urban").exit());
    CliRun bad =
        CliRun.of("models", "promote", "--data", data, "--name", "waste", "--version", "live");
    assertEquals(ModelsCommand.BAD_ARGUMENTS, bad.exit(), bad.err());
    assertTrue(bad.err().contains("reserved"), bad.err());
  }
}
