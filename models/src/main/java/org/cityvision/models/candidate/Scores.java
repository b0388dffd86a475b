package org.cityvision.models.candidate;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cityvision.models.evaluation.ClassMetrics;
import org.cityvision.models.evaluation.EvaluationSummary;
import org.cityvision.models.evaluation.Metrics;

/**
 * One model's scores on one set of labelled examples, with 95% intervals: Wilson's for accuracy, a
 * percentile bootstrap (fixed seed, so a report repeats) for macro-F1.
 *
 * @param count examples
 * @param correct examples predicted right
 * @param accuracy {@code correct / count}
 * @param accuracy95 Wilson score interval of the accuracy
 * @param macroF1 mean F1 over the classes present in the truth
 * @param macroF195 bootstrap interval of the macro-F1
 * @param perClass precision, recall, F1 and support per label
 */
public record Scores(
    int count,
    int correct,
    double accuracy,
    Interval accuracy95,
    double macroF1,
    Interval macroF195,
    List<ClassMetrics> perClass) {
  /** Bootstrap resamples for the macro-F1 interval. */
  public static final int BOOTSTRAP = 1000;

  /** The bootstrap's seed: fixed, so the same predictions always give the same interval. */
  public static final long BOOTSTRAP_SEED = 22;

  private static final double Z95 = 1.959964;

  /** A two-sided 95% interval. */
  public record Interval(double low, double high) {
    public Interval {
      if (!(low <= high)) {
        throw new IllegalArgumentException("interval low " + low + " is above high " + high);
      }
    }
  }

  public Scores {
    if (count < 0 || correct < 0 || correct > count) {
      throw new IllegalArgumentException(
          "correct must be in [0, count], got " + correct + " of " + count);
    }
    perClass = List.copyOf(perClass);
  }

  /** The scores of {@code probabilities} against {@code truth}, classes in {@code labels} order. */
  static Scores of(List<String> labels, int[] truth, float[][] probabilities) {
    Metrics m = Metrics.of(labels, truth, probabilities);
    int n = truth.length;
    int[] predicted = new int[n];
    int correct = 0;
    for (int i = 0; i < n; i++) {
      predicted[i] = Metrics.argmax(probabilities[i]);
      correct += predicted[i] == truth[i] ? 1 : 0;
    }
    return new Scores(
        n,
        correct,
        m.accuracy(),
        wilson(correct, n),
        m.macroF1(),
        bootstrapMacroF1(labels.size(), truth, predicted),
        m.perClass());
  }

  /**
   * Wilson's 95% score interval of {@code k} successes in {@code n}; [0, 1] when {@code n} is 0.
   */
  static Interval wilson(int k, int n) {
    if (n == 0) {
      return new Interval(0, 1);
    }
    double p = (double) k / n;
    double z2 = Z95 * Z95;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
    return new Interval(Math.max(0, centre - half), Math.min(1, centre + half));
  }

  /** 2.5th and 97.5th percentiles of the macro-F1 over {@link #BOOTSTRAP} resamples. */
  static Interval bootstrapMacroF1(int classes, int[] truth, int[] predicted) {
    int n = truth.length;
    if (n == 0) {
      return new Interval(0, 1);
    }
    Random random = new Random(BOOTSTRAP_SEED);
    double[] f1 = new double[BOOTSTRAP];
    int[] tp = new int[classes];
    int[] support = new int[classes];
    int[] predictedAs = new int[classes];
    for (int b = 0; b < BOOTSTRAP; b++) {
      Arrays.fill(tp, 0);
      Arrays.fill(support, 0);
      Arrays.fill(predictedAs, 0);
      for (int i = 0; i < n; i++) {
        int r = random.nextInt(n);
        support[truth[r]]++;
        predictedAs[predicted[r]]++;
        tp[truth[r]] += truth[r] == predicted[r] ? 1 : 0;
      }
      double sum = 0;
      int present = 0;
      for (int k = 0; k < classes; k++) {
        if (support[k] > 0) {
          double precision = predictedAs[k] == 0 ? 0 : (double) tp[k] / predictedAs[k];
          double recall = (double) tp[k] / support[k];
          sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
          present++;
        }
      }
      f1[b] = sum / present;
    }
    Arrays.sort(f1);
    return new Interval(
        f1[(int) Math.floor(0.025 * (BOOTSTRAP - 1))],
        f1[(int) Math.ceil(0.975 * (BOOTSTRAP - 1))]);
  }

  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("count", count);
    node.put("correct", correct);
    node.put("accuracy", EvaluationSummary.round(accuracy));
    node.putArray("accuracy95")
        .add(EvaluationSummary.round(accuracy95.low()))
        .add(EvaluationSummary.round(accuracy95.high()));
    node.put("macroF1", EvaluationSummary.round(macroF1));
    node.putArray("macroF1_95")
        .add(EvaluationSummary.round(macroF195.low()))
        .add(EvaluationSummary.round(macroF195.high()));
    ObjectNode classes = node.putObject("perClass");
    for (ClassMetrics c : perClass) {
      if (c.support() == 0 && c.precision() == 0) {
        continue;
      }
      ObjectNode cn = classes.putObject(c.label());
      cn.put("precision", EvaluationSummary.round(c.precision()));
      cn.put("recall", EvaluationSummary.round(c.recall()));
      cn.put("f1", EvaluationSummary.round(c.f1()));
      cn.put("support", c.support());
    }
    return node;
  }
}
