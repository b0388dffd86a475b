package org.cityvision.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one partition (or, merged, the whole job) did: counts, failures by kind, and the first
 * failures with their reasons.
 */
public record PartitionReport(
    long listed,
    long classified,
    long skipped,
    long failed,
    Map<String, Long> failedBy,
    List<Failure> failures)
    implements Serializable {
  /** Failures a report keeps with their reasons; counts stay exact. */
  public static final int FAILURES_KEPT = 50;

  /** One failed frame. */
  public record Failure(String frameId, String kind, String reason) implements Serializable {}

  public PartitionReport {
    failedBy = new TreeMap<>(failedBy);
    failures = List.copyOf(failures);
  }

  public static PartitionReport empty() {
    return new PartitionReport(0, 0, 0, 0, Map.of(), List.of());
  }

  public PartitionReport plus(PartitionReport o) {
    Map<String, Long> by = new TreeMap<>(failedBy);
    o.failedBy.forEach((k, v) -> by.merge(k, v, Long::sum));
    List<Failure> f = new ArrayList<>(failures);
    for (Failure x : o.failures) {
      if (f.size() < FAILURES_KEPT) {
        f.add(x);
      }
    }
    return new PartitionReport(
        listed + o.listed,
        classified + o.classified,
        skipped + o.skipped,
        failed + o.failed,
        by,
        f);
  }

  public long processed() {
    return classified + skipped + failed;
  }
}
