package org.cityvision.core.classify;

import java.util.Map;
import java.util.Optional;
import org.cityvision.core.model.Thresholds;

/**
 * Decides whether a classified camera frame needs a person: the most probable label whose
 * probability reaches its flag threshold. Labels without a threshold (such as {@code normal}) never
 * flag. Live ingest and batch jobs both decide through this one rule.
 *
 * <p>Immutable and thread-safe.
 */
public final class FlagPolicy {
  /** Flags nothing: for batch jobs asked not to flag. */
  public static final FlagPolicy NEVER = new FlagPolicy(Thresholds.NONE);

  private final Map<String, Double> thresholds;

  public FlagPolicy(Thresholds thresholds) {
    this.thresholds = thresholds.flag();
  }

  /** The label to flag the frame for, with its score; empty when no label reaches its threshold. */
  public Optional<LabelScore> decide(Classification c) {
    // Every label's probability is known (not only the top k), so a flaggable label outside the
    // top list can still pass a low threshold.
    LabelScore best = null;
    for (Map.Entry<String, Double> e : thresholds.entrySet()) {
      double p = probability(c, e.getKey());
      if (p >= e.getValue() && (best == null || p > best.score())) {
        best = new LabelScore(e.getKey(), Math.min(1.0, p));
      }
    }
    return Optional.ofNullable(best);
  }

  private static double probability(Classification c, String label) {
    return c.labelProbability(label).orElse(0.0);
  }
}
