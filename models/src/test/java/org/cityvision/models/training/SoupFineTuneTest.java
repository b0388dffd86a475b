package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoupFineTuneTest {
  @TempDir Path dir;

  @Test
  void aSoupRunFineTunesSeveralTimesFromOneStartAndShipsTheAverage() throws Exception {
    Path data = SharedData.dataset("waste");
    Path extra = SharedData.dataset("waste-extra");
    TrainingConfig config =
        TrainingConfig.defaults("waste", data, SharedData.edgeTpu(), dir.resolve("pkg")).toBuilder()
            .extras(List.of(extra))
            .excludeSources(Set.of("sorty"))
            .maxTrainImages(64)
            .views(0)
            .headEpochs(20)
            .fineTuneEpochs(1)
            .soup(2)
            .commandLine("test")
            .build();

    ClassifierTraining.run(config, TrainingProgress.NONE);

    JsonNode training = ModelPackage.read(dir.resolve("pkg")).spec().training();
    JsonNode runs = training.get("soup");
    assertEquals(2, runs.size(), training.toString());
    assertEquals(config.seed(), runs.get(0).get("seed").asLong());
    assertEquals(config.seed() + 1, runs.get(1).get("seed").asLong());
    for (JsonNode run : runs) {
      assertEquals(67, run.get("excludedSources").get("sorty").get("images").asInt());
    }
    JsonNode average = training.get("soupAverage");
    assertEquals(2, average.get("runs").asInt());
    assertTrue(
        training.get("bestCheckpoint").asText().startsWith("average of 2 fine-tuning runs"),
        training.get("bestCheckpoint").asText());
    // The saved package, reloaded and scored on the excluded source at the end, is the average.
    assertEquals(
        average.get("excludedSources").get("sorty").get("accuracy").asDouble(),
        training.get("excludedSources").get("sorty").get("accuracy").asDouble(),
        1e-9);
  }

  @Test
  void theAverageOfRunsIsTheirTensorByTensorMeanAndRestoreSetsAStart() throws Exception {
    TorchRuntime.engine();
    try (Model model = ModelPackage.fromPretrained(SharedData.edgeTpu(), "waste", 3)) {
      FineTuning tuning = new FineTuning(model, 3);
      List<Parameter> trainable = tuning.trainable(0.99);
      // The head's weight matrix (classes x features), the second tensor from the end.
      Parameter p = trainable.get(trainable.size() - 2);
      int n = (int) p.getArray().size();
      float[] a = new float[n];
      float[] b = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = i;
        b[i] = -3 * i + 1;
      }
      FineTuning.WeightAverage average = new FineTuning.WeightAverage(trainable);
      p.getArray().set(FloatBuffer.wrap(a));
      FineTuning.Snapshot first = FineTuning.Snapshot.of(trainable);
      average.add();
      p.getArray().set(FloatBuffer.wrap(b));
      average.add();

      average.apply();
      float[] expected = new float[n];
      for (int i = 0; i < n; i++) {
        expected[i] = (a[i] + b[i]) / 2;
      }
      assertArrayEquals(expected, p.getArray().toFloatArray(), 1e-6f);

      first.restore();
      assertArrayEquals(a, p.getArray().toFloatArray(), 0f);
    }
  }

  @Test
  void aSoupNeedsOneToEightFineTuningRuns() {
    TrainingConfig base =
        TrainingConfig.defaults("waste", Path.of("d"), Path.of("b"), Path.of("o"));
    assertThrows(IllegalArgumentException.class, () -> base.toBuilder().soup(0).build());
    assertThrows(IllegalArgumentException.class, () -> base.toBuilder().soup(9).build());
    assertThrows(
        IllegalArgumentException.class, () -> base.toBuilder().fineTuneEpochs(0).soup(2).build());
    assertEquals(3, base.toBuilder().soup(3).build().soup());
  }
}
