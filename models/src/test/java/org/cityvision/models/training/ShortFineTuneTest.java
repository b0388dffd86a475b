package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.SharedData;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.models.evaluation.ModelEvaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShortFineTuneTest {
  @TempDir Path dir;

  @Test
  void aShortFineTuneWithCutMixOnASmallWasteSubsetClearlyBeatsChanceAndWritesAFullPackage()
      throws Exception {
    Path data = SharedData.dataset("waste");
    Path backbone = SharedData.edgeTpu();
    TrainingConfig config =
        TrainingConfig.defaults("waste", data, backbone, dir.resolve("pkg")).toBuilder()
            .maxTrainImages(96)
            .views(1)
            .headEpochs(40)
            .fineTuneEpochs(1)
            .mix(new MixSpec(MixSpec.Kind.CUTMIX, 1, 0.5))
            .commandLine("test")
            .build();

    TrainingResult result = ClassifierTraining.run(config, TrainingProgress.NONE);

    // Six classes: chance is about 1/6, always answering the largest class about 0.24.
    assertTrue(
        result.test().overall().accuracy() >= 0.5,
        "test accuracy " + result.test().overall().accuracy());
    Path pkg = result.pkg().dir();
    for (String file :
        List.of(
            "model.json",
            "model-0000.params",
            ModelEvaluation.REPORT,
            ModelEvaluation.JSON_REPORT,
            ModelEvaluation.CONFUSION_PNG,
            ModelEvaluation.CURVES_PNG)) {
      assertTrue(Files.isRegularFile(pkg.resolve(file)), file + " missing");
    }
    ModelSpec spec = ModelPackage.read(pkg).spec();
    assertEquals("test", spec.training().get("commandLine").asText());
    assertEquals("cutmix:0.5:1.0", spec.training().get("phase2").get("mixing").asText());
    assertTrue(spec.thresholds().uncertainBelow() > 0);
    assertTrue(spec.metrics().has("macroF1"));
  }

  @Test
  void aSavedModelLoadsBackWithIdenticalPredictions() throws Exception {
    TorchRuntime.start(2);
    ModelSpec spec = TestModels.spec("waste", TestModels.WASTE_LABELS, 224);
    byte[] image = TestImages.jpeg(400, 300, 11);
    float[] weight = new float[6 * 1280];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) Math.sin(i) * 0.05f;
    }
    List<Double> before;
    try (Model model = ModelPackage.fromPretrained(SharedData.edgeTpu(), "waste", 6)) {
      new FineTuning(model, 6).setHead(weight, new float[] {0.1f, -0.2f, 0.3f, 0, 0, 0.05f});
      try (Classifier classifier =
          Classifier.wrap(model, spec, ClassifierOptions.defaults().withWarmup(false))) {
        before = classifier.classify(image).probabilities();
      }
      model.setProperty("Epoch", "0");
      ModelPackage.save(dir, spec, model);
    }

    Classification after;
    try (Classifier classifier =
        Classifier.open(ModelPackage.read(dir), ClassifierOptions.defaults().withWarmup(false))) {
      after = classifier.classify(image);
    }

    assertArrayEquals(
        before.stream().mapToDouble(Double::doubleValue).toArray(),
        after.probabilities().stream().mapToDouble(Double::doubleValue).toArray(),
        1e-6);
  }
}
