package org.cityvision.core.batch;

import java.time.Duration;
import java.util.Objects;
import org.cityvision.core.classify.AuditSampler;
import org.cityvision.core.classify.FlagListener;

/**
 * How a batch job runs on one node.
 *
 * @param parallelism frames fetched, decoded and waiting for the classifier at once; the bound on
 *     the job's memory (with {@code pageSize}) and on what it adds to the classifier's queue. Keep
 *     it at or below the classifier's queue capacity, lower when live traffic shares the classifier
 * @param pageSize frames per listing request (1..1000); a page is also the unit of resumption
 * @param checkpointEvery how often progress is written to the store, the cancel flag read and the
 *     progress listener called
 * @param failuresKept failed frames whose reasons the job state lists (the count is always exact)
 * @param overloadTimeout how long one frame keeps retrying while the classifier refuses work
 *     ({@link org.cityvision.core.classify.OverCapacityException}) before it counts as failed
 * @param countTotal count the frames under the prefix on a second thread, for the ETA
 * @param flagListener told of every flag the job creates (webhooks on a serving node); must return
 *     at once ({@link FlagListener}'s obligations)
 * @param audit which unflagged frames of a flagging job join the review queue as audit items
 */
public record BatchOptions(
    int parallelism,
    int pageSize,
    Duration checkpointEvery,
    int failuresKept,
    Duration overloadTimeout,
    boolean countTotal,
    FlagListener flagListener,
    AuditSampler audit) {
  public BatchOptions {
    if (parallelism < 1 || parallelism > 256) {
      throw new IllegalArgumentException("parallelism must be 1..256, got " + parallelism);
    }
    if (pageSize < 1 || pageSize > 1000) {
      throw new IllegalArgumentException("pageSize must be 1..1000, got " + pageSize);
    }
    requireBetween(
        "checkpointEvery", checkpointEvery, Duration.ofMillis(10), Duration.ofMinutes(10));
    if (failuresKept < 0 || failuresKept > 1000) {
      throw new IllegalArgumentException("failuresKept must be 0..1000, got " + failuresKept);
    }
    requireBetween("overloadTimeout", overloadTimeout, Duration.ZERO, Duration.ofHours(1));
    Objects.requireNonNull(flagListener, "flagListener");
    Objects.requireNonNull(audit, "audit");
  }

  /**
   * 24 frames in flight: two inference workers batching 8 each stay fed while the other frames are
   * fetched and decoded, and the classifier's default queue (64) keeps room for live requests.
   */
  public static BatchOptions defaults() {
    return new BatchOptions(
        24,
        200,
        Duration.ofSeconds(2),
        50,
        Duration.ofMinutes(5),
        true,
        FlagListener.NONE,
        AuditSampler.NONE);
  }

  public BatchOptions withParallelism(int value) {
    return new BatchOptions(
        value,
        pageSize,
        checkpointEvery,
        failuresKept,
        overloadTimeout,
        countTotal,
        flagListener,
        audit);
  }

  public BatchOptions withPageSize(int value) {
    return new BatchOptions(
        parallelism,
        value,
        checkpointEvery,
        failuresKept,
        overloadTimeout,
        countTotal,
        flagListener,
        audit);
  }

  public BatchOptions withCheckpointEvery(Duration value) {
    return new BatchOptions(
        parallelism,
        pageSize,
        value,
        failuresKept,
        overloadTimeout,
        countTotal,
        flagListener,
        audit);
  }

  public BatchOptions withFailuresKept(int value) {
    return new BatchOptions(
        parallelism,
        pageSize,
        checkpointEvery,
        value,
        overloadTimeout,
        countTotal,
        flagListener,
        audit);
  }

  public BatchOptions withOverloadTimeout(Duration value) {
    return new BatchOptions(
        parallelism,
        pageSize,
        checkpointEvery,
        failuresKept,
        value,
        countTotal,
        flagListener,
        audit);
  }

  public BatchOptions withCountTotal(boolean value) {
    return new BatchOptions(
        parallelism,
        pageSize,
        checkpointEvery,
        failuresKept,
        overloadTimeout,
        value,
        flagListener,
        audit);
  }

  public BatchOptions withFlagListener(FlagListener value) {
    return new BatchOptions(
        parallelism,
        pageSize,
        checkpointEvery,
        failuresKept,
        overloadTimeout,
        countTotal,
        value,
        audit);
  }

  private static void requireBetween(String what, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, what);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          what + " must be in " + min + ".." + max + ", got " + value);
    }
  }

  /**
   * Which unflagged frames of a flagging job become audit items (the node's {@code audit} rules).
   */
  public BatchOptions withAudit(AuditSampler value) {
    return new BatchOptions(
        parallelism,
        pageSize,
        checkpointEvery,
        failuresKept,
        overloadTimeout,
        countTotal,
        flagListener,
        value);
  }
}
