package org.cityvision.models.training;

import java.util.List;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.models.evaluation.EvaluationSummary;

/**
 * What a training run produced.
 *
 * @param pkg the saved model package (best validation checkpoint, thresholds and metrics included)
 * @param history every epoch of both phases
 * @param test the evaluation on the held-out test split
 * @param seconds wall time of the whole run
 */
public record TrainingResult(
    ModelPackage pkg, List<EpochRecord> history, EvaluationSummary test, double seconds) {
  public TrainingResult {
    history = List.copyOf(history);
  }
}
