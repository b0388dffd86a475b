package org.cityvision.core.classify;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.image.DifferenceHash;
import org.cityvision.core.storage.FlagGroupTip;

/**
 * When a new flag joins its camera's newest near-duplicate group ({@link ClassifiedFrames} decides
 * it once, when the flag is created): same model, same label, a thumbnail whose difference hash is
 * within {@code maxDistance} bits of the group's first flag, and a frame captured within {@code
 * maxGap} of the group's newest one. Otherwise the flag starts a group of its own.
 *
 * @param enabled whether flags are hashed and grouped at all
 * @param maxDistance 0..32 differing bits of the 64 (frames of one scene differ in a few; unrelated
 *     scenes in about 32)
 * @param maxGap 1 s .. 24 h
 */
public record FlagGrouping(boolean enabled, int maxDistance, Duration maxGap) {
  /** Up to 6 differing bits, frames up to 10 minutes apart. */
  public static final FlagGrouping DEFAULT = new FlagGrouping(true, 6, Duration.ofMinutes(10));

  /** No hashes, no groups. */
  public static final FlagGrouping OFF = new FlagGrouping(false, 0, Duration.ofSeconds(1));

  public FlagGrouping {
    if (maxDistance < 0 || maxDistance > 32) {
      throw new IllegalArgumentException("maxDistance must be in 0..32 bits, got " + maxDistance);
    }
    Objects.requireNonNull(maxGap, "maxGap");
    if (maxGap.compareTo(Duration.ofSeconds(1)) < 0 || maxGap.compareTo(Duration.ofHours(24)) > 0) {
      throw new IllegalArgumentException("maxGap must be in 1 s..24 h, got " + maxGap);
    }
  }

  /** Whether a flag raised with {@code label} on a frame captured at {@code capturedAt} joins. */
  public boolean joins(FlagGroupTip tip, String label, DifferenceHash hash, Instant capturedAt) {
    return enabled
        && tip.label().equals(label)
        && hash.distance(DifferenceHash.parse(tip.hash())) <= maxDistance
        && Duration.between(tip.lastCapturedAt(), capturedAt).abs().compareTo(maxGap) <= 0;
  }
}
