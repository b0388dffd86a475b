package org.cityvision.models.candidate;

import java.util.Arrays;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.cityvision.models.training.SoftmaxHead;

/**
 * A linear softmax head over backbone features, trained with a weight per example: the candidate
 * weighs its few hundred verdicts against thousands of replay rows, which per-class weights cannot
 * express. Layout as DJL's {@code Linear}: {@code weight[class][feature]}, {@code bias[class]}.
 *
 * <p>Training starts from the weights it was made with (the live head, with zero rows for new
 * labels), so old classes begin where the live model is; mini-batch Adam with a cosine-decayed
 * learning rate and an L2 penalty, for a fixed number of epochs and updates (early stopping would
 * need a validation set, and the only ones are used to choose the verdict weight and to judge).
 *
 * <p>Not thread-safe.
 */
final class LinearHead {
  private static final int BATCH = 64;

  /**
   * Fewest Adam updates a training makes, whatever the epoch count: a few dozen verdicts and a
   * small replay set fill only a couple of batches per epoch.
   */
  static final int MIN_STEPS = 400;

  private final int classes;
  private final int dim;
  private final float[] weight;
  private final float[] bias;

  /** A head with the given weights; rows of classes beyond {@code liveClasses} start at zero. */
  LinearHead(int classes, int dim, float[] liveWeight, float[] liveBias, int liveClasses) {
    if (liveWeight.length != liveClasses * dim
        || liveBias.length != liveClasses
        || liveClasses > classes) {
      throw new IllegalArgumentException(
          "live head of "
              + liveClasses
              + " x "
              + dim
              + " does not fit "
              + liveWeight.length
              + " weights, "
              + liveBias.length
              + " biases and "
              + classes
              + " classes");
    }
    this.classes = classes;
    this.dim = dim;
    this.weight = Arrays.copyOf(liveWeight, classes * dim);
    this.bias = Arrays.copyOf(liveBias, classes);
    float lowest = Float.MAX_VALUE;
    for (float b : liveBias) {
      lowest = Math.min(lowest, b);
    }
    for (int k = liveClasses; k < classes; k++) {
      bias[k] = lowest;
    }
  }

  LinearHead copy() {
    return new LinearHead(classes, dim, weight, bias, classes);
  }

  float[] weight() {
    return weight.clone();
  }

  float[] bias() {
    return bias.clone();
  }

  int classes() {
    return classes;
  }

  /** Class probabilities of the {@code n} feature rows in {@code x}. */
  float[][] probabilities(float[] x, int n) {
    float[][] out = new float[n][];
    double[] logits = new double[classes];
    for (int i = 0; i < n; i++) {
      logits(x, i * dim, logits);
      out[i] = SoftmaxHead.softmax(logits);
    }
    return out;
  }

  /**
   * Trains on rows {@code x} ({@code n × dim}) with labels {@code y} and weights {@code w}, for
   * {@code epochs} passes or {@link #MIN_STEPS} updates, whichever is more; progress counts to
   * {@code epochs}.
   *
   * @throws CandidateCancelledException when {@code cancelled} answers true between epochs
   */
  void train(
      float[] x,
      int[] y,
      float[] w,
      int epochs,
      double learningRate,
      double l2,
      long seed,
      BooleanSupplier cancelled,
      CandidateProgress progress)
      throws CandidateCancelledException {
    int n = y.length;
    float[] mW = new float[weight.length];
    float[] vW = new float[weight.length];
    float[] mB = new float[classes];
    float[] vB = new float[classes];
    double[] gW = new double[weight.length];
    double[] gB = new double[classes];
    double[] logits = new double[classes];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Random random = new Random(seed);
    long step = 0;
    int batches = Math.max(1, (n + BATCH - 1) / BATCH);
    int rounds = Math.max(epochs, (MIN_STEPS + batches - 1) / batches);
    int reported = 0;
    for (int epoch = 1; epoch <= rounds; epoch++) {
      if (cancelled.getAsBoolean()) {
        throw new CandidateCancelledException("head training");
      }
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      double lr = learningRate * 0.5 * (1 + Math.cos(Math.PI * (epoch - 1) / rounds));
      for (int from = 0; from < n; from += BATCH) {
        int to = Math.min(n, from + BATCH);
        Arrays.fill(gW, 0);
        Arrays.fill(gB, 0);
        double mass = 0;
        for (int b = from; b < to; b++) {
          int i = order[b];
          int off = i * dim;
          logits(x, off, logits);
          float[] p = SoftmaxHead.softmax(logits);
          mass += w[i];
          for (int k = 0; k < classes; k++) {
            double g = w[i] * (p[k] - (k == y[i] ? 1 : 0));
            if (g == 0) {
              continue;
            }
            gB[k] += g;
            int row = k * dim;
            for (int d = 0; d < dim; d++) {
              gW[row + d] += g * x[off + d];
            }
          }
        }
        if (mass <= 0) {
          continue;
        }
        step++;
        SoftmaxHead.adam(weight, gW, mW, vW, mass, l2, lr, step);
        SoftmaxHead.adam(bias, gB, mB, vB, mass, 0, lr, step);
      }
      int done = (int) ((long) epoch * epochs / rounds);
      if (done > reported) {
        reported = done;
        progress.advance(done);
      }
    }
  }

  private void logits(float[] x, int off, double[] out) {
    for (int k = 0; k < classes; k++) {
      double s = bias[k];
      int row = k * dim;
      for (int d = 0; d < dim; d++) {
        s += weight[row + d] * x[off + d];
      }
      out[k] = s;
    }
  }
}
