package org.cityvision.models.training;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tensor work of fine-tuning one {@code SequentialBlock(backbone, Linear head)} model from
 * {@code ModelPackage.fromPretrained}: backbone features for phase 1, copying a trained head in,
 * and end-to-end steps for phase 2.
 *
 * <p>The loop is written here rather than with DJL's {@code Trainer}: the Trainer's parameter store
 * only updates parameters that blocks fetch through it during the forward pass, and a TorchScript
 * backbone ({@code PtSymbolBlock}) never does, so its weights would silently stay unchanged.
 *
 * <p>Not thread-safe: one training thread. The model stays the caller's.
 */
public final class FineTuning {
  /**
   * The most images in one forward pass, in training as in serving. On this libtorch build (2.7.1,
   * CPU) the backbone gives different, wrong features once the batch reaches 16 with one intra-op
   * thread, and for any batch with two threads (ImageNet labels turn to nonsense): training and
   * serving must both stay on the path that is right, one thread and small batches.
   */
  static final int MAX_FORWARD_BATCH = 8;

  /**
   * The most images in one forward pass when oneDNN is kept off its AVX-512 kernels ({@code
   * ONEDNN_MAX_CPU_ISA} set, as the launcher and the Maven build do): then features agree at any
   * batch size and thread count.
   */
  static final int MAX_FORWARD_BATCH_SAFE_ISA = 32;

  /** Whether this process runs with oneDNN's CPU ISA capped ({@code ONEDNN_MAX_CPU_ISA} set). */
  public static boolean isaCapped() {
    String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
    return isa != null
        && !isa.isBlank()
        && !isa.toUpperCase(Locale.ROOT).startsWith("AVX512")
        && !isa.equalsIgnoreCase("ALL")
        && !isa.equalsIgnoreCase("DEFAULT");
  }

  /** The most images in one forward pass in this process. */
  public static int maxForwardBatch() {
    return isaCapped() ? MAX_FORWARD_BATCH_SAFE_ISA : MAX_FORWARD_BATCH;
  }

  private final Model model;
  private final Block backbone;
  private final Linear head;
  private final int classes;

  public FineTuning(Model model, int classes) {
    this.model = model;
    this.classes = classes;
    SequentialBlock block = (SequentialBlock) model.getBlock();
    this.backbone = block.getChildren().get(0).getValue();
    this.head = (Linear) block.getChildren().get(1).getValue();
  }

  /** Backbone features of {@code n} CHW tensors in {@code data}, {@code n × featureSize} floats. */
  public float[] features(float[] data, int n, int width, int height) {
    if (n > maxForwardBatch()) {
      throw new IllegalArgumentException(
          "at most " + maxForwardBatch() + " images per forward pass, got " + n);
    }
    JniUtils.setGradMode(false);
    try (NDManager m = model.getNDManager().newSubManager()) {
      NDArray x =
          m.create(
              FloatBuffer.wrap(data, 0, n * 3 * width * height), new Shape(n, 3, height, width));
      NDList out = backbone.forward(new ParameterStore(m, false), new NDList(x), false);
      return out.singletonOrThrow().toFloatArray();
    }
  }

  /** Overwrites the head's parameters ({@code weight[class][feature]}, {@code bias[class]}). */
  public void setHead(float[] weight, float[] bias) {
    JniUtils.setGradMode(false);
    head.getParameters().get("weight").getArray().set(FloatBuffer.wrap(weight));
    head.getParameters().get("bias").getArray().set(FloatBuffer.wrap(bias));
  }

  /** The head's parameters: {@code weight[class][feature]} and {@code bias[class]}, copied. */
  float[][] head() {
    return new float[][] {
      head.getParameters().get("weight").getArray().toFloatArray(),
      head.getParameters().get("bias").getArray().toFloatArray()
    };
  }

  /**
   * Freezes the leading {@code fraction} of the backbone's parameter tensors; returns those left
   * trainable.
   */
  public List<Parameter> trainable(double fraction) {
    List<Parameter> backboneParams = new ArrayList<>();
    for (Pair<String, Parameter> p : backbone.getParameters()) {
      backboneParams.add(p.getValue());
    }
    int frozen = (int) Math.floor(backboneParams.size() * fraction);
    List<Parameter> trainable = new ArrayList<>();
    for (int i = 0; i < backboneParams.size(); i++) {
      Parameter p = backboneParams.get(i);
      p.freeze(i < frozen);
      if (i >= frozen) {
        trainable.add(p);
      }
    }
    for (Pair<String, Parameter> p : head.getParameters()) {
      p.getValue().freeze(false);
      trainable.add(p.getValue());
    }
    return trainable;
  }

  /**
   * A running mean of parameter values: of the weights after several epochs of one run (stochastic
   * weight averaging) or at the end of several runs from the same start (a uniform model soup). The
   * mean usually generalises at least as well as any one of them, at no inference cost. The
   * backbones have their BatchNorm folded into the convolutions, so no statistics need recomputing
   * after averaging.
   */
  static final class WeightAverage {
    private final List<Parameter> params;
    private final List<float[]> mean = new ArrayList<>();
    private int count;

    WeightAverage(List<Parameter> params) {
      this.params = List.copyOf(params);
    }

    /** Adds the parameters' current values to the mean. */
    void add() {
      JniUtils.setGradMode(false);
      for (int i = 0; i < params.size(); i++) {
        float[] now = params.get(i).getArray().toFloatArray();
        if (count == 0) {
          mean.add(now);
        } else {
          float[] m = mean.get(i);
          float w = 1f / (count + 1);
          for (int k = 0; k < m.length; k++) {
            m[k] += (now[k] - m[k]) * w;
          }
        }
      }
      count++;
    }

    int count() {
      return count;
    }

    /** Overwrites the parameters with the mean. */
    void apply() {
      JniUtils.setGradMode(false);
      for (int i = 0; i < params.size(); i++) {
        params.get(i).getArray().set(FloatBuffer.wrap(mean.get(i)));
      }
    }
  }

  /**
   * The values of some parameters at one moment, and weight-space interpolation between two such
   * moments (WiSE-FT: the pretrained and the fine-tuned weights mixed tensor by tensor keep more of
   * the pretrained network's robustness to unseen sites than either end).
   */
  static final class Snapshot {
    private final List<Parameter> params;
    private final List<float[]> values;

    private Snapshot(List<Parameter> params, List<float[]> values) {
      this.params = params;
      this.values = values;
    }

    static Snapshot of(List<Parameter> params) {
      JniUtils.setGradMode(false);
      List<float[]> values = new ArrayList<>(params.size());
      for (Parameter p : params) {
        values.add(p.getArray().toFloatArray());
      }
      return new Snapshot(List.copyOf(params), values);
    }

    /** Sets every parameter back to this snapshot's values. */
    void restore() {
      JniUtils.setGradMode(false);
      for (int i = 0; i < params.size(); i++) {
        params.get(i).getArray().set(FloatBuffer.wrap(values.get(i)));
      }
    }

    /** Sets every parameter to {@code this + a * (end - this)}. */
    void interpolate(Snapshot end, double a) {
      if (end.params.size() != params.size()) {
        throw new IllegalArgumentException("snapshots of different parameter lists");
      }
      JniUtils.setGradMode(false);
      for (int i = 0; i < params.size(); i++) {
        float[] from = values.get(i);
        float[] to = end.values.get(i);
        float[] mixed = new float[from.length];
        for (int k = 0; k < mixed.length; k++) {
          mixed[k] = (float) (from[k] + a * (to[k] - from[k]));
        }
        params.get(i).getArray().set(FloatBuffer.wrap(mixed));
      }
    }
  }

  /** Backbone parameter tensors in all. */
  int backboneTensors() {
    return backbone.getParameters().size();
  }

  /**
   * Adam with the learning rate rising linearly from 10% over {@code warmupSteps}, then a cosine
   * decay to 5% at {@code totalSteps}. The warm-up keeps the first full-size updates from undoing
   * the head that phase 1 trained (all backbone layers start moving at once).
   */
  public static Optimizer adam(double learningRate, int totalSteps, int warmupSteps) {
    return Optimizer.adam()
        .optLearningRateTracker(schedule(learningRate, totalSteps, warmupSteps))
        .build();
  }

  /** The learning rate of {@link #adam} after a number of updates. */
  static Tracker schedule(double learningRate, int totalSteps, int warmupSteps) {
    float base = (float) learningRate;
    int warm = Math.max(0, Math.min(warmupSteps, totalSteps - 1));
    Tracker cosine =
        Tracker.cosine()
            .setBaseValue(base)
            .optFinalValue(base * 0.05f)
            .setMaxUpdates(Math.max(1, totalSteps - warm))
            .build();
    return warm == 0
        ? cosine
        : new Tracker() {
          @Override
          public float getNewValue(int numUpdate) {
            return numUpdate < warm
                ? base * (0.1f + 0.9f * numUpdate / warm)
                : cosine.getNewValue(numUpdate - warm);
          }
        };
  }

  /**
   * Loss targets of {@code n} labelled images, {@code n × classes} floats: the label-smoothed
   * one-hot row of each image times its class weight.
   */
  public static float[] targets(
      int[] labels, int n, int classes, double[] classWeight, double smoothing) {
    float[] target = new float[n * classes];
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      double w = classWeight[label];
      for (int k = 0; k < classes; k++) {
        target[i * classes + k] =
            (float) (w * ((k == label ? 1 - smoothing : 0) + smoothing / classes));
      }
    }
    return target;
  }

  /**
   * One optimisation step on a batch; returns its loss. Loss: cross-entropy against {@code target}
   * ({@code n × classes}, from {@link #targets}, possibly mixed by {@link BatchMixer}), normalised
   * by the targets' total weight. The batch runs through the network in micro-batches of at most
   * {@link #maxForwardBatch()} whose gradients add up before the update.
   */
  public double step(
      float[] data,
      float[] target,
      int n,
      int width,
      int height,
      List<Parameter> trainable,
      Optimizer optimizer) {
    double weightSum = 0;
    for (int i = 0; i < n * classes; i++) {
      weightSum += target[i];
    }
    int plane = 3 * width * height;
    double loss = 0;
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      int micro = maxForwardBatch();
      for (int from = 0; from < n; from += micro) {
        int size = Math.min(micro, n - from);
        try (NDManager m = model.getNDManager().newSubManager()) {
          NDArray x =
              m.create(
                  FloatBuffer.wrap(data, from * plane, size * plane),
                  new Shape(size, 3, height, width));
          NDArray t =
              m.create(
                  FloatBuffer.wrap(target, from * classes, size * classes),
                  new Shape(size, classes));
          NDArray logits =
              model
                  .getBlock()
                  .forward(new ParameterStore(m, false), new NDList(x), true)
                  .singletonOrThrow();
          NDArray value = logits.logSoftmax(1).mul(t).sum().neg().div((float) weightSum);
          collector.backward(value);
          loss += value.getFloat();
        }
      }
    }
    // The collector restores the thread's previous mode; updates are in-place and must not be
    // recorded.
    JniUtils.setGradMode(false);
    for (Parameter p : trainable) {
      NDArray weight = p.getArray();
      NDArray grad = weight.getGradient();
      try {
        optimizer.update(p.getId(), weight, grad);
      } finally {
        JniUtils.zeroGrad((PtNDArray) weight);
        grad.close();
      }
    }
    return loss;
  }
}
