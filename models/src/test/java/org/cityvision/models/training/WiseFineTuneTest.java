package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.testing.SharedData;
import org.cityvision.models.ModelRunException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WiseFineTuneTest {
  @TempDir Path dir;

  @Test
  void excludedSourcesAreNeverTrainedOnAndTheSavedModelIsTheChosenInterpolation() throws Exception {
    Path data = SharedData.dataset("waste");
    Path extra = SharedData.dataset("waste-extra");
    TrainingConfig config =
        TrainingConfig.defaults("waste", data, SharedData.edgeTpu(), dir.resolve("pkg")).toBuilder()
            .extras(List.of(extra))
            .excludeSources(Set.of("sorty"))
            .maxTrainImages(96)
            .views(0)
            .headEpochs(30)
            .fineTuneEpochs(1)
            .wise(List.of(0.0, 1.0))
            .commandLine("test")
            .build();

    ClassifierTraining.run(config, TrainingProgress.NONE);

    JsonNode training = ModelPackage.read(dir.resolve("pkg")).spec().training();
    JsonNode sources = training.get("dataset").get("sources");
    assertFalse(sources.has("sorty"), "sorty was trained on: " + sources);
    assertEquals("sorty", training.get("dataset").get("excludedSources").get(0).asText());
    JsonNode tried = training.get("wise");
    assertEquals(2, tried.size());
    double bestMean = -1;
    for (JsonNode row : tried) {
      assertEquals(67, row.get("excludedSources").get("sorty").get("images").asInt());
      bestMean = Math.max(bestMean, row.get("excludedSources").get("meanAccuracy").asDouble());
    }
    double chosen = training.get("wiseChosen").asDouble();
    JsonNode chosenRow = tried.get(chosen == 0.0 ? 0 : 1);
    assertEquals(bestMean, chosenRow.get("excludedSources").get("meanAccuracy").asDouble(), 1e-9);
    // The saved package, reloaded and scored on the excluded source at the end, is exactly the
    // interpolation that was chosen.
    assertEquals(
        chosenRow.get("excludedSources").get("sorty").get("accuracy").asDouble(),
        training.get("excludedSources").get("sorty").get("accuracy").asDouble(),
        1e-9);
    assertTrue(training.get("bestCheckpoint").asText().startsWith("wise"));
    assertTrue(
        training.get("thresholds").get("chosenOn").asText().startsWith("excluded sources [sorty]"),
        training.get("thresholds").toString());

    // A run that ships those thresholds instead of choosing its own.
    TrainingConfig shipping =
        TrainingConfig.defaults("waste", data, SharedData.edgeTpu(), dir.resolve("ship"))
            .toBuilder()
            .maxTrainImages(48)
            .views(0)
            .headEpochs(5)
            .fineTuneEpochs(0)
            .thresholdsFrom(dir.resolve("pkg"))
            .commandLine("test")
            .build();
    ClassifierTraining.run(shipping, TrainingProgress.NONE);
    ModelSpec shipped = ModelPackage.read(dir.resolve("ship")).spec();
    assertEquals(ModelPackage.read(dir.resolve("pkg")).spec().thresholds(), shipped.thresholds());
    assertTrue(
        shipped.training().get("thresholds").get("chosenOn").asText().startsWith("taken from"),
        shipped.training().get("thresholds").toString());
  }

  @Test
  void anExcludedSourceWithNoImagesIsRefusedByName() {
    Path data = SharedData.dataset("waste");
    TrainingConfig config =
        TrainingConfig.defaults("waste", data, SharedData.edgeTpu(), dir.resolve("pkg")).toBuilder()
            .excludeSources(Set.of("nowhere"))
            .build();

    ModelRunException e =
        assertThrows(
            ModelRunException.class, () -> ClassifierTraining.run(config, TrainingProgress.NONE));
    assertTrue(e.getMessage().contains("nowhere"), e.getMessage());
  }

  @Test
  void wiseWeightsMustLieBetweenTheTwoEndsAndNeedAFineTune() {
    TrainingConfig base =
        TrainingConfig.defaults("waste", Path.of("d"), Path.of("b"), Path.of("o"));
    assertThrows(IllegalArgumentException.class, () -> base.toBuilder().wise(List.of(1.5)).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> base.toBuilder().fineTuneEpochs(0).wise(List.of(0.5)).build());
  }
}
