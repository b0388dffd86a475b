package org.cityvision.core.storage;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the cleanup keeps things. Verdicts ({@code reviews/}), API keys and job state are kept
 * forever; open flags and their frames are kept until reviewed; nothing still in the local spool is
 * deleted.
 *
 * @param unflaggedFrames a frame never flagged is deleted (with its thumbnail and results) this
 *     long after capture
 * @param reviewedFlags a reviewed flag is deleted (with its frame, thumbnail and results) this long
 *     after its last review
 * @param idempotencyKeys an idempotency record is deleted this long after it was written
 */
public record RetentionPolicy(
    Duration unflaggedFrames, Duration reviewedFlags, Duration idempotencyKeys) {
  public RetentionPolicy {
    requirePositive("unflaggedFrames", unflaggedFrames);
    requirePositive("reviewedFlags", reviewedFlags);
    requirePositive("idempotencyKeys", idempotencyKeys);
  }

  /** 30 days unflagged, 90 days after review, one day for idempotency keys. */
  public static RetentionPolicy defaults() {
    return new RetentionPolicy(Duration.ofDays(30), Duration.ofDays(90), Duration.ofDays(1));
  }

  private static void requirePositive(String what, Duration value) {
    Objects.requireNonNull(value, what);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + value);
    }
  }
}
