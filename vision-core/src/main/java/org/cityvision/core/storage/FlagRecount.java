package org.cityvision.core.storage;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.cityvision.core.review.FlagCounts;

/**
 * What one recount of the review queue found ({@link FrameStore#recountFlags()}).
 *
 * @param before the maintained counts the recount compared against
 * @param after the counts now stored (equal to {@code before} when not applied)
 * @param drift per counter ({@code "status open"}, {@code "camera cam-7"}, {@code "label
 *     graffiti"}) how far the maintained count was off: recount minus maintained; empty when they
 *     agreed
 * @param applied whether the recount was written
 * @param indexed per-camera and per-label queue markers the recount wrote because they were missing
 * @param skipped why the recount was not written, or {@code null}
 */
public record FlagRecount(
    FlagCounts before,
    FlagCounts after,
    Map<String, Long> drift,
    boolean applied,
    long indexed,
    String skipped) {
  public FlagRecount {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    drift = Collections.unmodifiableMap(new TreeMap<>(drift));
    if (indexed < 0) {
      throw new IllegalArgumentException("indexed must not be negative, got " + indexed);
    }
    if (applied == (skipped != null)) {
      throw new IllegalArgumentException(
          "a recount is either applied or skipped with a reason, got applied="
              + applied
              + ", skipped="
              + skipped);
    }
  }

  /** The sum of the absolute drifts of the status counters: flags miscounted. */
  public long statusDrift() {
    return drift.entrySet().stream()
        .filter(e -> e.getKey().startsWith("status "))
        .mapToLong(e -> Math.abs(e.getValue()))
        .sum();
  }
}
