package org.cityvision.core.classify;

import java.util.List;

/**
 * A snapshot of a classifier's counters since it opened.
 *
 * @param queued images waiting now
 * @param images images classified
 * @param batches forward passes run
 * @param rejected requests refused because the queue was full
 * @param inferenceNanos total forward time
 * @param batchSizes how many forward passes had each size; index {@code n} counts batches of n
 */
public record ClassifierStats(
    int queued,
    long images,
    long batches,
    long rejected,
    long inferenceNanos,
    List<Long> batchSizes) {
  public ClassifierStats {
    batchSizes = List.copyOf(batchSizes);
  }

  public double meanBatchSize() {
    return batches == 0 ? 0 : (double) images / batches;
  }
}
