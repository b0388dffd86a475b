package org.cityvision.serving.config;

import java.time.Duration;
import org.cityvision.core.classify.FlagGrouping;

/**
 * {@code review.grouping}: how the review queue groups near-duplicate flags (one tile, one verdict
 * for all members). A new flag joins its camera's newest group when it has the same model and
 * label, its thumbnail's 64-bit difference hash differs from the group's first flag's in at most
 * {@code maxDistance} bits, and its frame was captured within {@code maxGapSeconds} of the group's
 * newest frame.
 *
 * @param enabled hash and group new flags (flags stored without a hash stay ungrouped)
 * @param maxDistance 0..32 differing bits (default 6)
 * @param maxGapSeconds 1..86400 (default 600)
 */
public record GroupingConfig(boolean enabled, int maxDistance, int maxGapSeconds) {
  public GroupingConfig {
    Bounds.require("review.grouping.maxDistance", maxDistance, 0, 32);
    Bounds.require("review.grouping.maxGapSeconds", maxGapSeconds, 1, 86_400);
  }

  public static GroupingConfig defaults() {
    FlagGrouping d = FlagGrouping.DEFAULT;
    return new GroupingConfig(d.enabled(), d.maxDistance(), (int) d.maxGap().toSeconds());
  }

  /** The rule {@code ClassifiedFrames} applies when it creates a flag. */
  public FlagGrouping rule() {
    return enabled
        ? new FlagGrouping(true, maxDistance, Duration.ofSeconds(maxGapSeconds))
        : FlagGrouping.OFF;
  }
}
