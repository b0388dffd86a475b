package org.cityvision.models.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * Classification metrics of a set of predictions.
 *
 * @param labels class labels, in model output order
 * @param confusion {@code confusion[truth][predicted]} counts
 * @param count images
 * @param accuracy fraction predicted right
 * @param macroF1 mean F1 over classes present in the truth
 * @param perClass each class's precision, recall and F1
 * @param ece expected calibration error of the top score, 15 equal-width bins
 * @param nll mean negative log-likelihood of the true class
 */
public record Metrics(
    List<String> labels,
    int[][] confusion,
    int count,
    double accuracy,
    double macroF1,
    List<ClassMetrics> perClass,
    double ece,
    double nll) {
  public static final int ECE_BINS = 15;

  public Metrics {
    labels = List.copyOf(labels);
    perClass = List.copyOf(perClass);
    confusion = copy(confusion);
  }

  @Override
  public int[][] confusion() {
    return copy(confusion);
  }

  /**
   * Computes the metrics.
   *
   * @param truth true class index per image
   * @param probabilities per image, each class's probability in label order
   */
  public static Metrics of(List<String> labels, int[] truth, float[][] probabilities) {
    int c = labels.size();
    int n = truth.length;
    if (probabilities.length != n) {
      throw new IllegalArgumentException(
          n + " truths but " + probabilities.length + " predictions");
    }
    int[][] confusion = new int[c][c];
    double[] binConfidence = new double[ECE_BINS];
    double[] binCorrect = new double[ECE_BINS];
    int[] binCount = new int[ECE_BINS];
    double nll = 0;
    for (int i = 0; i < n; i++) {
      int predicted = argmax(probabilities[i]);
      float score = probabilities[i][predicted];
      confusion[truth[i]][predicted]++;
      boolean right = predicted == truth[i];
      int bin = Math.min(ECE_BINS - 1, (int) (score * ECE_BINS));
      binConfidence[bin] += score;
      binCorrect[bin] += right ? 1 : 0;
      binCount[bin]++;
      nll -= Math.log(Math.max(1e-12, probabilities[i][truth[i]]));
    }
    double ece = 0;
    for (int b = 0; b < ECE_BINS; b++) {
      if (binCount[b] > 0) {
        ece += Math.abs(binConfidence[b] - binCorrect[b]) / n;
      }
    }
    Metrics counts = fromConfusion(labels, confusion);
    return new Metrics(
        labels,
        confusion,
        n,
        counts.accuracy(),
        counts.macroF1(),
        counts.perClass(),
        ece,
        n == 0 ? 0 : nll / n);
  }

  /**
   * Counts-only metrics of a confusion matrix (for reports read back from JSON): precision, recall
   * and F1 per class; no calibration figures (ECE and NLL are 0).
   */
  public static Metrics fromConfusion(List<String> labels, int[][] confusion) {
    int c = labels.size();
    int n = 0;
    int correct = 0;
    List<ClassMetrics> perClass = new ArrayList<>(c);
    double f1Sum = 0;
    int present = 0;
    for (int k = 0; k < c; k++) {
      int support = 0;
      int predictedAs = 0;
      for (int j = 0; j < c; j++) {
        support += confusion[k][j];
        predictedAs += confusion[j][k];
      }
      n += support;
      correct += confusion[k][k];
      double precision = predictedAs == 0 ? 0 : (double) confusion[k][k] / predictedAs;
      double recall = support == 0 ? 0 : (double) confusion[k][k] / support;
      double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
      perClass.add(new ClassMetrics(labels.get(k), precision, recall, f1, support));
      if (support > 0) {
        f1Sum += f1;
        present++;
      }
    }
    return new Metrics(
        labels,
        confusion,
        n,
        n == 0 ? 0 : (double) correct / n,
        present == 0 ? 0 : f1Sum / present,
        perClass,
        0,
        0);
  }

  public static int argmax(float[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }

  private static int[][] copy(int[][] m) {
    int[][] out = new int[m.length][];
    for (int i = 0; i < m.length; i++) {
      out[i] = m[i].clone();
    }
    return out;
  }
}
