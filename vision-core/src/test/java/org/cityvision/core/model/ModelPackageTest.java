package org.cityvision.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageTest {
  @TempDir Path dir;

  @Test
  void savedPackageLoadsAgainWithIdenticalPredictionsAndNoBackboneFile() throws Exception {
    Path backbone = TestModels.backbone();
    ModelSpec spec = TestModels.spec("waste", TestModels.WASTE_LABELS, 224);
    float[] before;
    try (Model model = ModelPackage.fromPretrained(backbone, "waste", 6)) {
      before = logits(model);
      ModelPackage.save(dir, spec, model);
    }
    // The package must not point back at ../shared: copy it somewhere else and load from there.
    Path moved = Files.createDirectories(dir.resolve("moved"));
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, moved.resolve(f.getFileName()));
      }
    }
    ModelPackage pkg = ModelPackage.read(moved);
    assertEquals(spec.labels(), pkg.spec().labels());
    assertEquals(spec.input(), pkg.spec().input());
    assertTrue(Files.size(pkg.weightsFile()) < 20_000_000, "weights must stay under 20 MB");
    try (Model loaded = pkg.loadModel()) {
      assertArrayEquals(before, logits(loaded), 0f);
    }
  }

  @Test
  void specRoundTripsThroughJson() throws Exception {
    ModelSpec spec =
        TestModels.spec("urban", List.of("flooding", "graffiti", "normal"), 192)
            .withThresholds(new Thresholds(0.4, Map.of("flooding", 0.8, "graffiti", 0.7)));
    ModelPackage.writeSpec(dir, spec);
    Files.writeString(dir.resolve("model-0000.params"), "x");
    ModelSpec read = ModelPackage.read(dir).spec();
    assertEquals(spec, read);
  }

  @Test
  void refusesFolderWithoutModelJson() {
    ModelException e = assertThrows(ModelException.class, () -> ModelPackage.read(dir));
    assertTrue(e.getMessage().contains("model.json"), e.getMessage());
  }

  @Test
  void refusesSpecWithUnknownKeys() throws Exception {
    ModelSpec spec = TestModels.spec("waste", TestModels.WASTE_LABELS, 224);
    String json = ModelPackage.toJson(spec).replaceFirst("\\{", "{\"surprise\": 1,");
    Files.writeString(dir.resolve("model.json"), json);
    Files.writeString(dir.resolve("model-0000.params"), "x");
    assertThrows(ModelException.class, () -> ModelPackage.read(dir));
  }

  @Test
  void refusesSpecWhoseThresholdNamesUnknownLabel() throws Exception {
    ModelSpec spec = TestModels.spec("waste", TestModels.WASTE_LABELS, 224);
    String json =
        ModelPackage.toJson(spec).replace("\"flag\" : { }", "\"flag\" : {\"potholes\": 0.5}");
    Files.writeString(dir.resolve("model.json"), json);
    Files.writeString(dir.resolve("model-0000.params"), "x");
    ModelException e = assertThrows(ModelException.class, () -> ModelPackage.read(dir));
    assertTrue(e.getMessage().contains("potholes"), e.getMessage());
  }

  private static float[] logits(Model model) throws Exception {
    TorchRuntime.inferenceThread();
    try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
      NDArray x =
          model.getNDManager().newSubManager().randomUniform(-1, 1, new Shape(2, 3, 224, 224));
      // A fixed input: the same random tensor for both models would need one manager; use a ramp
      // instead.
      x =
          model
              .getNDManager()
              .arange(0f, 2 * 3 * 224 * 224f)
              .div(2 * 3 * 224 * 224f)
              .sub(0.5f)
              .reshape(2, 3, 224, 224);
      return predictor.predict(new NDList(x)).singletonOrThrow().toFloatArray();
    }
  }
}
