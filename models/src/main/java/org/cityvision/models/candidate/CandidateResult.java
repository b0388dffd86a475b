package org.cityvision.models.candidate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cityvision.core.model.ModelPackage;

/**
 * A trained and evaluated candidate.
 *
 * @param candidate the new package, written in the request's output folder (model.json, weights,
 *     replay.bin, evaluation.json, golden references)
 * @param evaluation the candidate and the live model side by side
 * @param training what was trained on and how, as recorded in the package's {@code training}
 * @param seconds wall-clock time of the whole run
 */
public record CandidateResult(
    ModelPackage candidate, CandidateEvaluation evaluation, ObjectNode training, double seconds) {
  public CandidateResult {
    if (candidate == null || evaluation == null || training == null) {
      throw new IllegalArgumentException("candidate, evaluation and training are required");
    }
    training = training.deepCopy();
  }
}
