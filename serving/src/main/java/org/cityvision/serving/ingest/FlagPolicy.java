package org.cityvision.serving.ingest;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.model.ModelSpec;

/**
 * When a camera frame goes on the review queue: some label with a flag threshold in the model card
 * (issue classes; {@code normal} has none) scores at or above it. The flag names the most probable
 * such label, which need not be the top label (a frame 45% graffiti, 55% normal with a graffiti
 * threshold of 0.4 is flagged as graffiti).
 */
public final class FlagPolicy {
  private FlagPolicy() {}

  public static Optional<LabelScore> decide(ModelSpec spec, Classification c) {
    Map<String, Double> thresholds = spec.thresholds().flag();
    List<String> labels = spec.labels();
    List<Double> p = c.probabilities();
    LabelScore best = null;
    for (int i = 0; i < labels.size() && i < p.size(); i++) {
      Double threshold = thresholds.get(labels.get(i));
      double score = Math.min(1.0, Math.max(0.0, p.get(i)));
      if (threshold != null && score >= threshold && (best == null || score > best.score())) {
        best = new LabelScore(labels.get(i), score);
      }
    }
    return Optional.ofNullable(best);
  }
}
