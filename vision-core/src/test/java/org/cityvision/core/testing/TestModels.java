package org.cityvision.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Model;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.model.BackboneSpec;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.Thresholds;

/**
 * Model packages for tests: a pretrained backbone with a fresh (untrained) head. The backbone is
 * ../shared's ImageNet EdgeTPU-0.75 when it is there, else the fine-tuned EdgeTPU-0.75 inside the
 * shipped {@code models/waste} package (the same network), so tests of the product run without
 * ../shared.
 */
public final class TestModels {
  public static final List<String> WASTE_LABELS =
      List.of("cardboard", "glass", "metal", "paper", "plastic", "trash");

  private static Path shippedBackbone;

  private TestModels() {}

  public static ModelSpec spec(String name, List<String> labels, int inputSize) {
    return new ModelSpec(
        name,
        "0.0.1-test",
        name,
        labels,
        InputSpec.mobileNet(inputSize),
        new BackboneSpec("mobilenet_edgetpu_0.75_224", 1280, 1.246),
        "model",
        new Thresholds(0.5, Map.of()),
        null,
        null);
  }

  /**
   * Writes a package made from the EdgeTPU backbone ({@link #backbone()}) with an untrained head
   * into {@code dir}.
   */
  public static ModelPackage untrainedPackage(
      Path dir, String name, List<String> labels, int inputSize) throws ModelException {
    ModelSpec spec = spec(name, labels, inputSize);
    try (Model model = ModelPackage.fromPretrained(backbone(), name, labels.size())) {
      return ModelPackage.save(dir, spec, model);
    }
  }

  /**
   * A folder with the EdgeTPU-0.75 backbone as {@link ModelPackage#BACKBONE_FILE}: ../shared's,
   * else the one inside the shipped waste package, written once per JVM to a temporary folder.
   * Skips the test when neither is there.
   */
  public static synchronized Path backbone() throws ModelException {
    Optional<Path> shared = SharedData.findPretrained(SharedData.EDGE_TPU);
    if (shared.isPresent()) {
      return shared.get();
    }
    if (shippedBackbone == null) {
      Path waste = shippedWastePackage();
      assumeTrue(
          waste != null,
          "skipped: needs ../shared/pretrained/"
              + SharedData.EDGE_TPU
              + " or the shipped "
              + "models/waste package (neither found from "
              + Path.of("").toAbsolutePath()
              + ")");
      shippedBackbone = extractBackbone(ModelPackage.read(waste));
    }
    return shippedBackbone;
  }

  private static Path shippedWastePackage() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("models").resolve("waste");
      if (Files.isRegularFile(candidate.resolve(ModelPackage.SPEC_FILE))) {
        return candidate;
      }
    }
    return null;
  }

  private static Path extractBackbone(ModelPackage pkg) throws ModelException {
    try (Model model = pkg.loadModel()) {
      PtSymbolBlock backbone =
          (PtSymbolBlock) ((SequentialBlock) model.getBlock()).getChildren().get(0).getValue();
      Path dir = Files.createTempDirectory("cityvision-test-backbone");
      Path file = dir.resolve(ModelPackage.BACKBONE_FILE);
      try (OutputStream out = Files.newOutputStream(file)) {
        JniUtils.writeModule(backbone, out, false);
      }
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the shipped waste backbone to a temporary folder", e);
    }
  }
}
