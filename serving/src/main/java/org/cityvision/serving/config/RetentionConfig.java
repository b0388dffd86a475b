package org.cityvision.serving.config;

import java.time.Duration;
import org.cityvision.core.storage.RetentionPolicy;

/**
 * How long the store keeps what, and when {@code serve} enforces it. Verdicts ({@code reviews/}),
 * API keys and job state are kept forever; results and thumbnails go with their frame; a flagged
 * frame is kept while its flag is open and, once reviewed, for {@code reviewedFlagDays} after the
 * review.
 *
 * @param enabled run a retention pass inside {@code serve} every {@code intervalSeconds} (one node
 *     per interval, through a lease in the store)
 * @param frameDays a frame never flagged is deleted (with its thumbnail and results) this many days
 *     after capture
 * @param reviewedFlagDays a reviewed flag (confirmed or rejected) is deleted with its frame this
 *     many days after its last review, and not before {@code frameDays} after capture
 * @param idempotencyKeyHours an {@code Idempotency-Key} record is deleted this many hours after it
 *     was written (a retry after that stores a new frame)
 * @param intervalSeconds how often a pass runs
 * @param chunkSize frames listed and deleted per step of a pass (memory and request size)
 */
public record RetentionConfig(
    boolean enabled,
    long frameDays,
    long reviewedFlagDays,
    long idempotencyKeyHours,
    long intervalSeconds,
    int chunkSize) {
  public RetentionConfig {
    Bounds.require("retention.frameDays", frameDays, 1, 36_500);
    Bounds.require("retention.reviewedFlagDays", reviewedFlagDays, 1, 36_500);
    Bounds.require("retention.idempotencyKeyHours", idempotencyKeyHours, 1, 8_760);
    Bounds.require("retention.intervalSeconds", intervalSeconds, 1, 604_800);
    Bounds.require("retention.chunkSize", chunkSize, 1, 1000);
  }

  static RetentionConfig defaults() {
    return new RetentionConfig(true, 30, 90, 24, 3_600, 500);
  }

  /** The policy a pass applies. */
  public RetentionPolicy policy() {
    return new RetentionPolicy(
        Duration.ofDays(frameDays),
        Duration.ofDays(reviewedFlagDays),
        Duration.ofHours(idempotencyKeyHours));
  }
}
