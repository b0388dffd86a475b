package org.cityvision.models.candidate;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.cityvision.models.evaluation.ClassMetrics;
import org.cityvision.models.evaluation.EvaluationSummary;

/**
 * A candidate and the live model side by side, and whether the candidate is {@code better}: it must
 * be more accurate on the verdict holdout (which neither was trained on) and lose at most {@link
 * #MAX_VALIDATION_LOSS} of accuracy on the live package's own validation data (so that what it
 * learned from the verdicts did not cost what the package knew).
 *
 * <p>Both models are scored in the candidate's label space: on verdicts of a label the live model
 * does not have, the live model is simply wrong. {@code holdoutKnownClasses} repeats the holdout
 * comparison on the labels both models have; {@code newClasses} reports each new label on its own.
 *
 * @param liveVersion the live model's version
 * @param candidateVersion the candidate's version
 * @param holdout both models on every holdout verdict
 * @param holdoutKnownClasses both models on the holdout verdicts of labels the live model has
 * @param validation both models on the live package's validation replay rows
 * @param newClasses per label the live model does not have: the candidate's scores on the holdout
 *     and the verdicts it was trained on
 * @param better whether the candidate meets the rule above
 * @param reason the rule's outcome, in words
 */
public record CandidateEvaluation(
    String liveVersion,
    String candidateVersion,
    Comparison holdout,
    Comparison holdoutKnownClasses,
    Comparison validation,
    List<NewClass> newClasses,
    boolean better,
    String reason) {
  /** Accuracy the candidate may lose on the package's validation data and still be better. */
  public static final double MAX_VALIDATION_LOSS = 0.01;

  /**
   * Both models on one set of examples.
   *
   * @param data what the examples are
   * @param exact whether the candidate's scores are those of the candidate package as it serves
   *     (head mode: the same backbone, so head-on-features is the served model exactly)
   * @param live the live model's scores
   * @param candidate the candidate's scores
   */
  public record Comparison(String data, boolean exact, Scores live, Scores candidate) {
    public Comparison {
      if (data == null || live == null || candidate == null) {
        throw new IllegalArgumentException("data, live and candidate are required");
      }
      if (live.count() != candidate.count()) {
        throw new IllegalArgumentException(
            "both models must be scored on the same "
                + data
                + ": "
                + live.count()
                + " vs "
                + candidate.count());
      }
    }

    public ObjectNode toJson() {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("data", data);
      node.put("count", live.count());
      node.put("exact", exact);
      node.set("live", live.toJson());
      node.set("candidate", candidate.toJson());
      node.put("accuracyChange", EvaluationSummary.round(candidate.accuracy() - live.accuracy()));
      return node;
    }
  }

  /**
   * A label the live model does not have.
   *
   * @param label the label
   * @param trainExamples verdicts of it the candidate was trained on
   * @param holdout the candidate's precision, recall and support of it on the holdout
   * @param flagThreshold the flag threshold chosen for it, or {@code NaN} when the task does not
   *     flag
   */
  public record NewClass(
      String label, int trainExamples, ClassMetrics holdout, double flagThreshold) {}

  public CandidateEvaluation {
    newClasses = List.copyOf(newClasses);
  }

  /** Applies the rule to the comparisons. */
  static CandidateEvaluation judge(
      String liveVersion,
      String candidateVersion,
      Comparison holdout,
      Comparison holdoutKnownClasses,
      Comparison validation,
      List<NewClass> newClasses) {
    double holdoutGain = holdout.candidate().accuracy() - holdout.live().accuracy();
    double valChange = validation.candidate().accuracy() - validation.live().accuracy();
    boolean wins = holdoutGain > 0;
    boolean keeps = valChange >= -MAX_VALIDATION_LOSS - 1e-12;
    String reason;
    if (!validation.exact()) {
      reason =
          "the candidate's backbone changed, so the package's validation features no longer describe it: "
              + "its loss on old data is not measured ("
              + validation.data()
              + ")";
    } else {
      reason =
          String.format(
              Locale.ROOT,
              "holdout accuracy %+.1f points (%s); validation accuracy %+.1f points (%s)",
              holdoutGain * 100,
              wins ? "wins" : "does not win",
              valChange * 100,
              keeps
                  ? "within " + Math.round(MAX_VALIDATION_LOSS * 100) + " point"
                  : "loses more than " + Math.round(MAX_VALIDATION_LOSS * 100) + " point");
    }
    return new CandidateEvaluation(
        liveVersion,
        candidateVersion,
        holdout,
        holdoutKnownClasses,
        validation,
        newClasses,
        wins && keeps && validation.exact(),
        reason);
  }

  /** The JSON form: {@code evaluation.json} of a candidate package, and the job's result. */
  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("liveVersion", liveVersion);
    node.put("candidateVersion", candidateVersion);
    node.put("better", better);
    node.put("reason", reason);
    node.put(
        "rule",
        "better = more accurate than the live model on the verdict holdout and at most "
            + Math.round(MAX_VALIDATION_LOSS * 100)
            + " point less accurate on the package's validation data");
    node.set("holdout", holdout.toJson());
    node.set("holdoutKnownClasses", holdoutKnownClasses.toJson());
    node.set("validation", validation.toJson());
    ObjectNode added = node.putObject("newClasses");
    Map<String, NewClass> sorted = new TreeMap<>();
    newClasses.forEach(c -> sorted.put(c.label(), c));
    sorted.forEach(
        (label, c) -> {
          ObjectNode cn = added.putObject(label);
          cn.put("trainExamples", c.trainExamples());
          cn.put("holdoutSupport", c.holdout().support());
          cn.put("holdoutPrecision", EvaluationSummary.round(c.holdout().precision()));
          cn.put("holdoutRecall", EvaluationSummary.round(c.holdout().recall()));
          cn.put("holdoutF1", EvaluationSummary.round(c.holdout().f1()));
          if (!Double.isNaN(c.flagThreshold())) {
            cn.put("flagThreshold", c.flagThreshold());
          }
        });
    return node;
  }
}
