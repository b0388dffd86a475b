package org.cityvision.core.classify;

import org.cityvision.core.model.Thresholds;

/**
 * Decides whether a sorting machine should divert an item rather than sort it: the top score is
 * below the model's {@code uncertainBelow} threshold (0 turns the rule off). The sibling of {@link
 * FlagPolicy}, which decides for camera frames.
 *
 * <p>Immutable and thread-safe.
 */
public final class UncertaintyPolicy {
  private final double threshold;

  public UncertaintyPolicy(Thresholds thresholds) {
    this.threshold = thresholds.uncertainBelow();
  }

  /** Whether {@code c}'s top score is too low to act on. */
  public boolean uncertain(Classification c) {
    return threshold > 0 && c.score() < threshold;
  }
}
