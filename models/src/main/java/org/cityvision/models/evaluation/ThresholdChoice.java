package org.cityvision.models.evaluation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.cityvision.core.model.Thresholds;

/**
 * Picks a model's decision thresholds on validation predictions, and says what they achieved there.
 *
 * <ul>
 *   <li><b>uncertain</b> (sorting machines): the lowest top score {@code t} on a 0.01 grid (at most
 *       {@link #MAX_UNCERTAIN}) such that the images answered with a top score of at least {@code
 *       t} are right at least {@code targetAccuracy} of the time; images below it are reported
 *       uncertain for a person or a second pass.
 *   <li><b>flag</b> (camera frames): per issue class (every label but the negative ones, e.g.
 *       {@code normal}) the lowest {@code t} on the grid, at least {@link #MIN_FLAG}, such that
 *       flagging frames whose probability of that class is at least {@code t'} has precision of at
 *       least {@code targetPrecision} for every {@code t' ≥ t} that flags anything. Requiring it of
 *       all higher thresholds keeps one lucky point of a small validation set from choosing.
 * </ul>
 *
 * @param thresholds the chosen thresholds
 * @param report per threshold, what it gave on validation: coverage and accuracy, or precision and
 *     recall
 */
public record ThresholdChoice(Thresholds thresholds, ObjectNode report) {
  public static final double MAX_UNCERTAIN = 0.9;
  public static final double MIN_FLAG = 0.3;

  public static ThresholdChoice choose(
      Predictions val, double targetAccuracy, Set<String> negativeLabels, double targetPrecision) {
    return choose(val, "validation split", targetAccuracy, negativeLabels, targetPrecision);
  }

  /**
   * As {@link #choose(Predictions, double, Set, double)}, on predictions described by {@code
   * chosenOn}.
   */
  public static ThresholdChoice choose(
      Predictions val,
      String chosenOn,
      double targetAccuracy,
      Set<String> negativeLabels,
      double targetPrecision) {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("chosenOn", chosenOn + ", " + val.size() + " images");
    int n = val.size();
    double uncertain = MAX_UNCERTAIN;
    for (int step = 0; step <= 90; step++) {
      double t = step / 100.0;
      int kept = 0;
      int right = 0;
      for (int i = 0; i < n; i++) {
        int top = Metrics.argmax(val.probabilities()[i]);
        if (val.probabilities()[i][top] >= t) {
          kept++;
          right += top == val.truth()[i] ? 1 : 0;
        }
      }
      if (kept > 0 && (double) right / kept >= targetAccuracy) {
        uncertain = t;
        break;
      }
    }
    int kept = 0;
    int right = 0;
    for (int i = 0; i < n; i++) {
      int top = Metrics.argmax(val.probabilities()[i]);
      if (val.probabilities()[i][top] >= uncertain) {
        kept++;
        right += top == val.truth()[i] ? 1 : 0;
      }
    }
    ObjectNode u = report.putObject("uncertainBelow");
    u.put("threshold", uncertain);
    u.put("targetAccuracy", targetAccuracy);
    u.put("coverage", EvaluationSummary.round(n == 0 ? 0 : (double) kept / n));
    u.put("accuracyAbove", EvaluationSummary.round(kept == 0 ? 0 : (double) right / kept));

    Map<String, Double> flags = new LinkedHashMap<>();
    boolean hasNegative = val.labels().stream().anyMatch(negativeLabels::contains);
    if (hasNegative) {
      ObjectNode f = report.putObject("flag");
      for (int k = 0; k < val.labels().size(); k++) {
        String label = val.labels().get(k);
        if (negativeLabels.contains(label)) {
          continue;
        }
        double chosen = Double.NaN;
        for (int step = 99; step >= (int) Math.round(MIN_FLAG * 100); step--) {
          double[] pr = precisionRecall(val, k, step / 100.0);
          if (pr[2] > 0 && pr[0] < targetPrecision) {
            break;
          }
          chosen = step / 100.0;
        }
        ObjectNode fl = f.putObject(label);
        if (Double.isNaN(chosen)) {
          // Not even the highest threshold reaches the target: flag only near-certain frames.
          chosen = 0.99;
          fl.put("note", "precision target not reached on validation at any threshold");
        }
        double[] pr = precisionRecall(val, k, chosen);
        flags.put(label, chosen);
        fl.put("threshold", chosen);
        fl.put("targetPrecision", targetPrecision);
        fl.put("precision", EvaluationSummary.round(pr[0]));
        fl.put("recall", EvaluationSummary.round(pr[1]));
        fl.put("flagged", (int) pr[2]);
      }
    }
    return new ThresholdChoice(new Thresholds(uncertain, flags), report);
  }

  /** Precision, recall and count of flagging class {@code k} at probability ≥ {@code t}. */
  static double[] precisionRecall(Predictions p, int k, double t) {
    int flagged = 0;
    int hit = 0;
    int positives = 0;
    for (int i = 0; i < p.size(); i++) {
      boolean positive = p.truth()[i] == k;
      positives += positive ? 1 : 0;
      if (p.probabilities()[i][k] >= t) {
        flagged++;
        hit += positive ? 1 : 0;
      }
    }
    return new double[] {
      flagged == 0 ? 1 : (double) hit / flagged,
      positives == 0 ? 0 : (double) hit / positives,
      flagged
    };
  }

  /**
   * The flagging precision and recall that {@code thresholds} give on {@code p}, per flagged label.
   */
  public static ObjectNode flagResults(Predictions p, Thresholds thresholds) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    thresholds
        .flag()
        .forEach(
            (label, t) -> {
              double[] pr = precisionRecall(p, p.labels().indexOf(label), t);
              ObjectNode n = out.putObject(label);
              n.put("threshold", t);
              n.put("precision", EvaluationSummary.round(pr[0]));
              n.put("recall", EvaluationSummary.round(pr[1]));
              n.put("flagged", (int) pr[2]);
            });
    return out;
  }
}
