package org.cityvision.app.bench;

import java.util.Arrays;

/** Collects latencies from many threads and reports percentiles. Thread-safe. */
final class LatencyRecorder {
  private long[] nanos = new long[1024];
  private int count;

  synchronized void record(long latencyNanos) {
    if (count == nanos.length) {
      nanos = Arrays.copyOf(nanos, count * 2);
    }
    nanos[count++] = latencyNanos;
  }

  synchronized int count() {
    return count;
  }

  /** The p-th percentile (0..100) in milliseconds. */
  synchronized double percentileMillis(double p) {
    if (count == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    int index = (int) Math.min(count - 1, Math.max(0, Math.ceil(p / 100.0 * count) - 1));
    return sorted[index] / 1e6;
  }
}
