package org.cityvision.models.evaluation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * How accuracy trades against coverage when answers whose top score is below a threshold are
 * returned as {@code uncertain}: for each threshold, the fraction of images still answered
 * (coverage) and how many of those answers are right.
 *
 * @param points one point per threshold, in increasing threshold order
 */
public record RiskCoverage(List<Point> points) {
  /**
   * @param threshold answers with a top score below it are {@code uncertain}
   * @param coverage fraction of images answered
   * @param accuracy fraction of answered images that are right (1 when none is answered)
   */
  public record Point(double threshold, double coverage, double accuracy) {}

  public RiskCoverage {
    points = List.copyOf(points);
  }

  /** The curve at thresholds 0, 0.05, ..., 0.95. */
  public static RiskCoverage of(Predictions p) {
    List<Point> points = new ArrayList<>();
    for (int step = 0; step < 20; step++) {
      points.add(at(p, step / 20.0));
    }
    return new RiskCoverage(points);
  }

  /** One point: coverage and accuracy above {@code threshold}. */
  public static Point at(Predictions p, double threshold) {
    int answered = 0;
    int right = 0;
    float[][] probs = p.probabilities();
    int[] truth = p.truth();
    for (int i = 0; i < truth.length; i++) {
      int k = Metrics.argmax(probs[i]);
      if (probs[i][k] >= threshold) {
        answered++;
        right += k == truth[i] ? 1 : 0;
      }
    }
    int n = truth.length;
    return new Point(
        threshold,
        n == 0 ? 0 : (double) answered / n,
        answered == 0 ? 1 : (double) right / answered);
  }

  public ArrayNode toJson() {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (Point pt : points) {
      out.addObject()
          .put("threshold", EvaluationSummary.round(pt.threshold()))
          .put("coverage", EvaluationSummary.round(pt.coverage()))
          .put("accuracy", EvaluationSummary.round(pt.accuracy()));
    }
    return out;
  }
}
