package org.cityvision.models.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.cityvision.models.evaluation.Metrics;

/**
 * A linear softmax classifier over cached backbone features, trained in plain Java: phase 1 of
 * fine-tuning. It is tiny (features × classes weights), so Java loops cost seconds while every
 * backbone forward pass is saved for the views themselves. The trained weights are then copied into
 * the model's {@code Linear} head, whose layout ({@code weight[class][feature]}, {@code
 * bias[class]}) this class shares.
 *
 * <p>Mini-batch Adam on class-weighted, label-smoothed cross-entropy with an L2 penalty on the
 * weights; keeps the epoch with the best validation score (macro-F1, then lower NLL) and stops
 * after {@code patience} epochs without one.
 *
 * <p>Not thread-safe.
 */
public final class SoftmaxHead {
  private static final int BATCH = 64;
  private final int classes;
  private final int dim;
  private float[] weight;
  private float[] bias;

  SoftmaxHead(int classes, int dim, long seed) {
    this.classes = classes;
    this.dim = dim;
    this.weight = new float[classes * dim];
    this.bias = new float[classes];
    Random random = new Random(seed);
    double scale = Math.sqrt(1.0 / dim);
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) (random.nextGaussian() * scale * 0.1);
    }
  }

  float[] weight() {
    return weight.clone();
  }

  float[] bias() {
    return bias.clone();
  }

  /** Class probabilities of one feature vector at {@code offset} of {@code features}. */
  float[] probabilities(float[] features, int offset) {
    double[] logits = new double[classes];
    logits(features, offset, weight, bias, logits);
    return softmax(logits);
  }

  /**
   * Trains the head; returns one record per epoch.
   *
   * @param x training features, {@code n × dim}
   * @param y training labels
   * @param classWeight loss weight per class
   * @param valX validation features
   * @param valY validation labels
   */
  List<EpochRecord> train(
      float[] x,
      int[] y,
      double[] classWeight,
      float[] valX,
      int[] valY,
      List<String> labels,
      int epochs,
      double learningRate,
      double l2,
      double smoothing,
      int patience,
      long seed,
      TrainingProgress progress) {
    double[] rowWeight = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      rowWeight[i] = classWeight[y[i]];
    }
    return trainWeighted(
        x,
        y,
        rowWeight,
        valX,
        valY,
        labels,
        epochs,
        learningRate,
        l2,
        smoothing,
        patience,
        seed,
        progress);
  }

  /** As {@link #train}, with a loss weight per training row instead of per class. */
  List<EpochRecord> trainWeighted(
      float[] x,
      int[] y,
      double[] rowWeight,
      float[] valX,
      int[] valY,
      List<String> labels,
      int epochs,
      double learningRate,
      double l2,
      double smoothing,
      int patience,
      long seed,
      TrainingProgress progress) {
    int n = y.length;
    if (rowWeight.length != n) {
      throw new IllegalArgumentException(n + " training rows but " + rowWeight.length + " weights");
    }
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
    List<EpochRecord> history = new ArrayList<>();
    float[] bestW = weight.clone();
    float[] bestB = bias.clone();
    double bestF1 = -1;
    double bestNll = Double.MAX_VALUE;
    int sinceBest = 0;
    long step = 0;
    progress.stage("head", epochs);
    for (int epoch = 1; epoch <= epochs; epoch++) {
      long started = System.nanoTime();
      shuffle(order, random);
      double lossSum = 0;
      double weightSum = 0;
      for (int from = 0; from < n; from += BATCH) {
        int to = Math.min(n, from + BATCH);
        Arrays.fill(gW, 0);
        Arrays.fill(gB, 0);
        double batchWeight = 0;
        for (int b = from; b < to; b++) {
          int i = order[b];
          int off = i * dim;
          logits(x, off, weight, bias, logits);
          float[] p = softmax(logits);
          double w = rowWeight[i];
          batchWeight += w;
          for (int k = 0; k < classes; k++) {
            double target = (k == y[i] ? 1 - smoothing : 0) + smoothing / classes;
            lossSum -= w * target * Math.log(Math.max(1e-12, p[k]));
            double g = w * (p[k] - target);
            gB[k] += g;
            int row = k * dim;
            for (int d = 0; d < dim; d++) {
              gW[row + d] += g * x[off + d];
            }
          }
        }
        weightSum += batchWeight;
        step++;
        double lr = learningRate * 0.5 * (1 + Math.cos(Math.PI * (epoch - 1) / epochs));
        adam(weight, gW, mW, vW, batchWeight, l2, lr, step);
        adam(bias, gB, mB, vB, batchWeight, 0, lr, step);
      }
      Metrics val = evaluate(valX, valY, labels);
      boolean best =
          val.macroF1() > bestF1 + 1e-9
              || (Math.abs(val.macroF1() - bestF1) <= 1e-9 && val.nll() < bestNll);
      if (best) {
        bestF1 = val.macroF1();
        bestNll = val.nll();
        bestW = weight.clone();
        bestB = bias.clone();
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      EpochRecord record =
          new EpochRecord(
              "head",
              epoch,
              lossSum / weightSum,
              val.nll(),
              val.accuracy(),
              val.macroF1(),
              (System.nanoTime() - started) / 1e9,
              best);
      history.add(record);
      progress.advance(
          epoch,
          String.format(
              Locale.ROOT,
              "epoch %d/%d loss %.3f val acc %.3f F1 %.3f",
              epoch,
              epochs,
              record.trainLoss(),
              val.accuracy(),
              val.macroF1()));
      if (sinceBest >= patience) {
        break;
      }
    }
    weight = bestW;
    bias = bestB;
    return history;
  }

  /** The logits of every row of {@code x}, {@code rows × classes}. */
  double[][] logits(float[] x) {
    int rows = x.length / dim;
    double[][] out = new double[rows][classes];
    for (int i = 0; i < rows; i++) {
      logits(x, i * dim, weight, bias, out[i]);
    }
    return out;
  }

  Metrics evaluate(float[] x, int[] y, List<String> labels) {
    float[][] p = new float[y.length][];
    for (int i = 0; i < y.length; i++) {
      p[i] = probabilities(x, i * dim);
    }
    return Metrics.of(labels, y, p);
  }

  private void logits(float[] x, int off, float[] w, float[] b, double[] out) {
    for (int k = 0; k < classes; k++) {
      double s = b[k];
      int row = k * dim;
      for (int d = 0; d < dim; d++) {
        s += w[row + d] * x[off + d];
      }
      out[k] = s;
    }
  }

  public static float[] softmax(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    double[] e = new double[logits.length];
    for (int k = 0; k < logits.length; k++) {
      e[k] = Math.exp(logits[k] - max);
      sum += e[k];
    }
    float[] p = new float[logits.length];
    for (int k = 0; k < logits.length; k++) {
      p[k] = (float) (e[k] / sum);
    }
    return p;
  }

  public static void adam(
      float[] param,
      double[] grad,
      float[] m,
      float[] v,
      double norm,
      double l2,
      double lr,
      long step) {
    double b1 = 0.9;
    double b2 = 0.999;
    double c1 = 1 - Math.pow(b1, step);
    double c2 = 1 - Math.pow(b2, step);
    for (int i = 0; i < param.length; i++) {
      double g = grad[i] / norm + l2 * param[i];
      m[i] = (float) (b1 * m[i] + (1 - b1) * g);
      v[i] = (float) (b2 * v[i] + (1 - b2) * g * g);
      param[i] -= (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8));
    }
  }

  private static void shuffle(int[] a, Random random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
