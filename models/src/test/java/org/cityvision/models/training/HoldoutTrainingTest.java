package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.cityvision.core.classify.GoldenReferences;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.models.evaluation.ModelEvaluation;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole head-only run with leave-one-source-out on a small generated dataset (no ../shared
 * needed).
 */
class HoldoutTrainingTest {
  @TempDir Path dir;

  /** Two classes from three sources (file-name tags), 8 images each. */
  private Path dataset() throws Exception {
    Path data = dir.resolve("data");
    int seed = 0;
    for (String label : List.of("cat", "dog")) {
      for (String source : List.of("camA", "camB", "web")) {
        Files.createDirectories(data.resolve(label));
        for (int i = 0; i < 8; i++) {
          Files.write(
              data.resolve(label).resolve(source + "__" + i + ".jpg"),
              TestImages.jpeg(96, 72, (label.equals("cat") ? 1000 : 2000) + seed++));
        }
      }
    }
    return data;
  }

  @Test
  void aHeadOnlyRunWithHoldoutReportsEverySourceCalibratesAndWritesReplayAndGoldenReferences()
      throws Exception {
    Path out = dir.resolve("pkg");
    TrainingConfig config =
        TrainingConfig.defaults("pets", dataset(), TestModels.backbone(), out).toBuilder()
            .input(64, 64)
            .views(1)
            .headEpochs(5)
            .fineTuneEpochs(0)
            .sourceBalance(0.5)
            .holdout(true)
            .featureCache(dir.resolve("cache"))
            .commandLine("test")
            .build();

    TrainingResult result = ClassifierTraining.run(config, TrainingProgress.NONE);

    ModelPackage pkg = ModelPackage.read(out);
    JsonNode held = pkg.spec().training().path("heldOutSources");
    assertEquals(Set.of("camA", "camB", "web"), names(held.path("perSource")));
    assertEquals(48, held.path("pooled").path("images").asInt());
    double t = pkg.spec().training().path("temperature").asDouble();
    assertTrue(
        t > 0 && t == held.path("calibration").path("temperature").asDouble(), "temperature " + t);
    assertTrue(
        pkg.spec()
            .training()
            .path("thresholds")
            .path("chosenOn")
            .asText()
            .startsWith("held-out sources"));

    ReplaySet replay = ReplaySet.of(pkg).orElseThrow();
    assertEquals(48, replay.size());
    assertEquals(List.of("cat", "dog"), replay.labels());
    assertEquals(Set.of("camA", "camB", "web"), new TreeSet<>(replay.sources()));
    int splitTotal = 0;
    for (ReplaySet.Split s : ReplaySet.Split.values()) {
      splitTotal += replay.filter(i -> replay.split(i) == s).size();
    }
    assertEquals(48, splitTotal);
    assertEquals(
        result.test().overall().count(),
        replay.filter(i -> replay.split(i) == ReplaySet.Split.TEST).size());
    assertTrue(GoldenReferences.read(pkg).isPresent());
    assertTrue(
        Files.readString(out.resolve(ModelEvaluation.REPORT))
            .contains("Held-out sources (leave-one-source-out)"));
    assertTrue(Files.list(dir.resolve("cache")).findAny().isPresent(), "features cached");

    // A second run with the same recipe reads the cached features back exactly.
    Path again = dir.resolve("again");
    ClassifierTraining.run(config.toBuilder().out(again).build(), TrainingProgress.NONE);
    ReplaySet second = ReplaySet.read(again.resolve(ReplaySet.FILE));
    for (int i = 0; i < replay.size(); i++) {
      Assertions.assertArrayEquals(replay.features(i), second.features(i));
    }
  }

  private static Set<String> names(JsonNode node) {
    Set<String> out = new TreeSet<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
