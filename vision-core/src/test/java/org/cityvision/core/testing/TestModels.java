package org.cityvision.core.testing;

import ai.djl.Model;
import java.nio.file.Path;
import java.util.List;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.model.BackboneSpec;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.Thresholds;

/** Model packages for tests: a pretrained backbone with a fresh (untrained) head. */
public final class TestModels {
  public static final List<String> WASTE_LABELS = List.of("cardboard", "glass", "metal", "paper", "plastic", "trash");

  private TestModels() {}

  public static ModelSpec spec(String name, List<String> labels, int inputSize) {
    return new ModelSpec(name, "0.0.1-test", name, labels, InputSpec.mobileNet(inputSize),
        new BackboneSpec("mobilenet_edgetpu_0.75_224", 1280, 1.246), "model", new Thresholds(0.5, java.util.Map.of()),
        null, null);
  }

  /**
   * Writes a package made from the EdgeTPU backbone (skips the test when ../shared is absent) with
   * an untrained head into {@code dir}.
   */
  public static ModelPackage untrainedPackage(Path dir, String name, List<String> labels, int inputSize)
      throws ModelException {
    ModelSpec spec = spec(name, labels, inputSize);
    try (Model model = ModelPackage.fromPretrained(SharedData.edgeTpu(), name, labels.size())) {
      return ModelPackage.save(dir, spec, model);
    }
  }
}
