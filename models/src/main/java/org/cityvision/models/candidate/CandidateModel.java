package org.cityvision.models.candidate;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cityvision.core.model.BackboneDigest;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.models.training.FineTuning;

/**
 * The network a candidate is built in: the live package's backbone, loaded trainable, with a head
 * of the candidate's classes; plus the live head's weights, for warm starts and for scoring the
 * live model on the same features.
 *
 * <p>The backbone travels from the live package through a TorchScript file in a temporary folder: a
 * package loads with inference-only tensors, which libtorch can never fine-tune, while a module
 * loaded from TorchScript with {@code trainParam} can be. The round trip keeps every weight exact.
 *
 * <p>Not thread-safe: one training thread. <b>Must be closed</b> (native memory).
 */
final class CandidateModel implements AutoCloseable {
  private final Model model;
  private final FineTuning tuning;
  private final float[] liveWeight;
  private final float[] liveBias;
  private final int liveClasses;
  private final String liveBackbone;

  private CandidateModel(
      Model model,
      int classes,
      float[] liveWeight,
      float[] liveBias,
      int liveClasses,
      String liveBackbone) {
    this.model = model;
    this.liveBackbone = liveBackbone;
    this.tuning = new FineTuning(model, classes);
    this.liveWeight = liveWeight;
    this.liveBias = liveBias;
    this.liveClasses = liveClasses;
  }

  /**
   * Loads the live package and builds a model with its backbone and a head of {@code classes}
   * outputs.
   */
  static CandidateModel open(ModelPackage live, int classes) throws CandidateException {
    Path tmp = null;
    try {
      float[] weight;
      float[] bias;
      String digest;
      try (Model liveModel = live.loadModel()) {
        JniUtils.setGradMode(false);
        SequentialBlock block = (SequentialBlock) liveModel.getBlock();
        Linear head = (Linear) block.getChildren().get(1).getValue();
        weight = head.getParameters().get("weight").getArray().toFloatArray();
        bias = head.getParameters().get("bias").getArray().toFloatArray();
        Block backbone = block.getChildren().get(0).getValue();
        digest = BackboneDigest.of(backbone, live.spec().input());
        tmp = Files.createTempDirectory("cityvision-candidate-backbone");
        try (OutputStream out = Files.newOutputStream(tmp.resolve(ModelPackage.BACKBONE_FILE))) {
          JniUtils.writeModule((PtSymbolBlock) backbone, out, false);
        }
      }
      Model model = ModelPackage.fromPretrained(tmp, live.spec().name(), classes);
      return new CandidateModel(model, classes, weight, bias, live.spec().labels().size(), digest);
    } catch (ModelException | IOException e) {
      throw new CandidateException(
          "cannot load the backbone of live package " + live.dir() + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp.resolve(ModelPackage.BACKBONE_FILE));
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // A temporary folder left behind is harmless; the OS cleans its temporary directory.
        }
      }
    }
  }

  FineTuning tuning() {
    return tuning;
  }

  /** The live head's weights, {@code liveClasses × featureSize}, row per class. */
  float[] liveWeight() {
    return liveWeight.clone();
  }

  float[] liveBias() {
    return liveBias.clone();
  }

  int liveClasses() {
    return liveClasses;
  }

  /**
   * {@link BackboneDigest} of the live backbone: stored features carrying it are what this model's
   * backbone computes before any fine-tuning.
   */
  String liveBackbone() {
    return liveBackbone;
  }

  /** Saves this network with {@code spec} as a package in {@code dir}. */
  ModelPackage save(Path dir, ModelSpec spec) throws CandidateException {
    try {
      // A package holds exactly one weights file, <weights>-0000.params.
      model.setProperty("Epoch", "0");
      return ModelPackage.save(dir, spec, model);
    } catch (ModelException e) {
      throw new CandidateException(
          "cannot save the candidate into " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
