package org.cityvision.core.model;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A model package: a folder holding {@code model.json} ({@link ModelSpec}), the weights ({@code
 * <weights>-0000.params}: the fine-tuned TorchScript backbone and the linear head), and its
 * evaluation report. Self-contained: it loads with no network and no access to the pretrained
 * backbone it came from.
 *
 * <p>Immutable and thread-safe. Models returned by {@link #loadModel()} belong to the caller.
 */
public record ModelPackage(Path dir, ModelSpec spec) {
  public static final String SPEC_FILE = "model.json";

  /** The TorchScript file that {@link #fromPretrained} reads from a pretrained backbone folder. */
  public static final String BACKBONE_FILE = "model_features_ts.pt";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public ModelPackage {
    if (dir == null || spec == null) {
      throw new IllegalArgumentException("dir and spec are required");
    }
  }

  /** Reads {@code dir/model.json} and checks the weights are there. */
  public static ModelPackage read(Path dir) throws ModelException {
    Path specFile = dir.resolve(SPEC_FILE);
    if (!Files.isRegularFile(specFile)) {
      throw new ModelException(
          "no " + SPEC_FILE + " in " + dir.toAbsolutePath() + ": not a model package");
    }
    ModelSpec spec;
    try {
      spec = JSON.readValue(specFile.toFile(), ModelSpec.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new ModelException(specFile + " is not a valid model spec: " + e.getMessage(), e);
    }
    ModelPackage pkg = new ModelPackage(dir, spec);
    if (!Files.isRegularFile(pkg.weightsFile())) {
      throw new ModelException(
          "model package " + dir + " has no weights file " + pkg.weightsFile().getFileName());
    }
    return pkg;
  }

  /** Writes {@code model.json} into {@code dir} (weights are written by {@link #save}). */
  public static void writeSpec(Path dir, ModelSpec spec) throws ModelException {
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(SPEC_FILE + ".tmp");
      JSON.writeValue(tmp.toFile(), spec);
      Files.move(
          tmp,
          dir.resolve(SPEC_FILE),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ModelException(
          "cannot write " + SPEC_FILE + " into " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Saves a backbone+head model and its spec as a package in {@code dir}. */
  public static ModelPackage save(Path dir, ModelSpec spec, Model model) throws ModelException {
    try {
      Files.createDirectories(dir);
      model.save(dir, spec.weights());
    } catch (IOException e) {
      throw new ModelException("cannot save weights into " + dir + ": " + e.getMessage(), e);
    }
    writeSpec(dir, spec);
    return new ModelPackage(dir, spec);
  }

  /** The spec as JSON text, as written to {@code model.json}. */
  public static String toJson(ModelSpec spec) {
    try {
      return JSON.writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("model spec cannot be serialised", e);
    }
  }

  public Path weightsFile() {
    return dir.resolve(spec.weights() + "-0000.params");
  }

  /**
   * Loads the fine-tuned model into a new DJL model; the caller closes it. Parameters do not track
   * gradients.
   */
  public Model loadModel() throws ModelException {
    TorchRuntime.engine();
    Model model = Model.newInstance(spec.name(), "PyTorch");
    try {
      PtSymbolBlock backbone = new PtSymbolBlock((PtNDManager) model.getNDManager());
      model.setBlock(headed(backbone, spec.labels().size()));
      model.load(dir, spec.weights());
      return model;
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new ModelException(
          "cannot load weights of model package " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds a new model from a pretrained TorchScript backbone (a folder of ../shared/pretrained)
   * with a fresh linear head of {@code classes} outputs, ready to fine-tune; the caller closes it.
   * The backbone's parameters are loaded as trainable: libtorch loads frozen ones as inference
   * tensors, which can never be fine-tuned or re-initialised.
   */
  public static Model fromPretrained(Path backboneDir, String name, int classes)
      throws ModelException {
    Path file = backboneDir.resolve(BACKBONE_FILE);
    if (!Files.isRegularFile(file)) {
      throw new ModelException("no " + BACKBONE_FILE + " in " + backboneDir.toAbsolutePath());
    }
    TorchRuntime.engine();
    Model model = Model.newInstance(name, "PyTorch");
    try {
      PtSymbolBlock backbone =
          JniUtils.loadModule(
              (PtNDManager) model.getNDManager(), file, true, new String[0], new String[0], true);
      Block block = headed(backbone, classes);
      model.setBlock(block);
      // Parameters are created requiring gradients; libtorch forbids that on tensors made while
      // gradient mode is off (as it is on the thread that started the engine).
      boolean gradMode = JniUtils.isGradMode();
      JniUtils.setGradMode(true);
      try {
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 224, 224));
      } finally {
        JniUtils.setGradMode(gradMode);
      }
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw new ModelException("cannot load backbone " + file + ": " + e.getMessage(), e);
    }
  }

  private static Block headed(Block backbone, int classes) {
    return new SequentialBlock().add(backbone).add(Linear.builder().setUnits(classes).build());
  }
}
