package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when a command is asked wrongly: help, one error line, exit 2, never a stack
 * trace.
 */
class CommandErrorsTest {
  @TempDir Path dir;

  @Test
  void trainHelpListsEveryOptionIncludingModelVersion() {
    CliRun r = CliRun.of("train", "--help");

    assertEquals(0, r.exit(), r.err());
    assertTrue(
        r.out().contains("--model-version")
            && r.out().contains("--force")
            && r.out().contains("--task"),
        r.out());
  }

  @Test
  void trainRefusesToReplaceTheShippedPackageWithoutForce() throws Exception {
    Path shipped = Home.shippedModel("waste").resolve("model.json");
    byte[] before = Files.readAllBytes(shipped);

    CliRun r =
        CliRun.of("train", "--task", "waste", "--out", Home.shippedModel("waste").toString());

    assertEquals(2, r.exit(), r.err());
    assertOneLine(r.err(), "--force");
    assertTrue(
        Arrays.equals(before, Files.readAllBytes(shipped)), "the shipped package is untouched");
  }

  @Test
  void trainOptionValueItChecksItselfGivesOneLineAndExit2() {
    CliRun r =
        CliRun.of(
            "train",
            "--task",
            "waste",
            "--out",
            dir.resolve("out").toString(),
            "--input-size",
            "big");

    assertEquals(2, r.exit(), r.err());
    assertOneLine(r.err(), "--input-size");
  }

  @Test
  void optionValueOfTheWrongTypeNamesTheOptionWithoutAStackTrace() {
    CliRun r = CliRun.of("train", "--task", "waste", "--epochs", "many");

    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("--epochs") && r.err().contains("many"), r.err());
    assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
  }

  @Test
  void missingModelFolderGivesOneLineAndExit2() throws Exception {
    Path image = Files.write(dir.resolve("a.jpg"), TestImages.jpeg(64, 64, 1));
    Path missing = dir.resolve("no-such-model");

    CliRun classify =
        CliRun.of("classify", "--task", "waste", "--model", missing.toString(), image.toString());
    CliRun evaluate = CliRun.of("evaluate", "--model", missing.toString());

    assertEquals(2, classify.exit(), classify.err());
    assertOneLine(classify.err(), missing.toString());
    assertEquals(2, evaluate.exit(), evaluate.err());
    assertOneLine(evaluate.err(), missing.toString());
  }

  private static void assertOneLine(String err, String mentions) {
    assertEquals(1, err.strip().lines().count(), "one line: " + err);
    assertTrue(err.contains(mentions), "names " + mentions + ": " + err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
  }
}
