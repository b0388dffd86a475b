package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifyCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  static ModelPackage pkg;

  @BeforeAll
  static void model() throws Exception {
    pkg = TestModels.untrainedPackage(dir.resolve("model"), "waste", TestModels.WASTE_LABELS, 224);
  }

  @Test
  void printsOneJsonObjectPerFileInOrderAndFailsOnlyTheBadOnes() throws Exception {
    Path good1 = Files.write(dir.resolve("a.jpg"), TestImages.jpeg(512, 384, 1));
    Path truncated = dir.resolve("b.jpg");
    byte[] jpeg = TestImages.jpeg(512, 384, 2);
    Files.write(truncated, Arrays.copyOf(jpeg, jpeg.length / 2));
    Path text = Files.writeString(dir.resolve("c.jpg"), "just text");
    Path good2 = Files.write(dir.resolve("d.png"), TestImages.png(300, 300, 3));
    Path missing = dir.resolve("missing.jpg");

    CliRun r =
        run(
            "classify",
            "--task",
            "waste",
            "--model",
            pkg.dir().toString(),
            "--json",
            good1.toString(),
            truncated.toString(),
            text.toString(),
            missing.toString(),
            good2.toString());

    assertEquals(1, r.exit(), "bad files make the exit code non-zero");
    String[] lines = r.out().strip().split("\n");
    assertEquals(5, lines.length, r.out());
    JsonNode first = JSON.readTree(lines[0]);
    assertEquals(good1.toString(), first.get("file").asText());
    assertTrue(TestModels.WASTE_LABELS.contains(first.get("label").asText()));
    assertTrue(first.get("score").asDouble() > 0);
    assertEquals(3, first.get("top").size());
    assertEquals("CorruptImageException", JSON.readTree(lines[1]).at("/error/type").asText());
    assertEquals("UnsupportedImageException", JSON.readTree(lines[2]).at("/error/type").asText());
    assertEquals("no such file", JSON.readTree(lines[3]).at("/error/message").asText());
    assertEquals(good2.toString(), JSON.readTree(lines[4]).get("file").asText());
    assertTrue(r.err().contains("truncated"), r.err());
  }

  @Test
  void jsonSaysUncertainOnlyForModelsWithAnUncertaintyThreshold() throws Exception {
    Path image = Files.write(dir.resolve("u.jpg"), TestImages.jpeg(512, 384, 5));
    ModelPackage shipped = ModelPackage.read(Home.shippedModel("waste"));
    double below = shipped.spec().thresholds().uncertainBelow();

    CliRun withThreshold =
        run(
            "classify",
            "--task",
            "waste",
            "--model",
            shipped.dir().toString(),
            "--json",
            image.toString());
    // The same urban package with no uncertainty threshold: its answers carry no "uncertain".
    Path plain = Files.createDirectories(dir.resolve("urban-no-threshold"));
    try (var files = Files.list(Home.shippedModel("urban"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, plain.resolve(f.getFileName()));
      }
    }
    ModelPackage urban = ModelPackage.read(plain);
    ModelPackage.writeSpec(
        plain, urban.spec().withThresholds(new Thresholds(0, urban.spec().thresholds().flag())));
    CliRun without =
        run("classify", "--task", "urban", "--model", plain.toString(), "--json", image.toString());

    assertEquals(0, withThreshold.exit(), withThreshold.err());
    JsonNode answer = JSON.readTree(withThreshold.out().strip());
    assertTrue(below > 0, "the shipped waste model has an uncertainBelow threshold");
    assertTrue(answer.get("uncertain").isBoolean(), answer.toString());
    assertEquals(
        answer.get("score").asDouble() < below,
        answer.get("uncertain").asBoolean(),
        answer.toString());
    assertEquals(0, without.exit(), without.err());
    assertTrue(
        JSON.readTree(without.out().strip()).path("uncertain").isMissingNode(), without.out());
  }

  @Test
  void refusesModelOfAnotherTask() throws Exception {
    Path image = Files.write(dir.resolve("e.jpg"), TestImages.jpeg(64, 64, 4));
    CliRun r =
        run("classify", "--task", "urban", "--model", pkg.dir().toString(), image.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("answers task 'waste'"), r.err());
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }
}
