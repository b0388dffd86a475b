package org.cityvision.core.batch;

import java.util.EnumMap;
import java.util.Map;

/**
 * How many frames a job has handled.
 *
 * @param listed frames the listing handed to the job
 * @param classified frames classified and stored by this job
 * @param skipped frames that already had a result of the model version when the job reached them
 * @param failed frames that could not be classified; {@code failedBy} splits them by reason
 */
public record BatchCounts(
    long listed, long classified, long skipped, long failed, Map<FailureKind, Long> failedBy) {
  public static final BatchCounts ZERO = new BatchCounts(0, 0, 0, 0, Map.of());

  public BatchCounts {
    if (listed < 0 || classified < 0 || skipped < 0 || failed < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
    EnumMap<FailureKind, Long> copy = new EnumMap<>(FailureKind.class);
    long sum = 0;
    for (Map.Entry<FailureKind, Long> e : failedBy.entrySet()) {
      if (e.getValue() < 0) {
        throw new IllegalArgumentException("failedBy counts must not be negative");
      }
      if (e.getValue() > 0) {
        copy.put(e.getKey(), e.getValue());
        sum += e.getValue();
      }
    }
    if (sum != failed) {
      throw new IllegalArgumentException("failedBy adds up to " + sum + ", not failed=" + failed);
    }
    failedBy = Map.copyOf(copy);
  }

  /** Frames with an outcome: classified, skipped or failed. */
  public long processed() {
    return classified + skipped + failed;
  }

  BatchCounts plus(BatchCounts other) {
    EnumMap<FailureKind, Long> by = new EnumMap<>(FailureKind.class);
    by.putAll(failedBy);
    other.failedBy.forEach((k, v) -> by.merge(k, v, Long::sum));
    return new BatchCounts(
        listed + other.listed,
        classified + other.classified,
        skipped + other.skipped,
        failed + other.failed,
        by);
  }
}
