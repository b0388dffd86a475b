package org.cityvision.core.job;

import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.naming.Names;

/**
 * A batch job's progress, stored at {@code system/jobs/{jobId}.json}; one writer (the node running
 * the job), any number of readers.
 *
 * @param cursor where the job's listing stands, so that it can resume, or {@code null}
 * @param message why it failed, or {@code null}
 */
public record JobState(
    String jobId,
    String task,
    String prefix,
    JobStatus status,
    long listed,
    long classified,
    long skipped,
    long failed,
    String cursor,
    String message,
    Instant createdAt,
    Instant updatedAt) {
  public JobState {
    Names.requireSegment("jobId", jobId);
    Names.requireSegment("task", task);
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(status, "status");
    if (listed < 0 || classified < 0 || skipped < 0 || failed < 0) {
      throw new IllegalArgumentException("job counters must not be negative");
    }
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }
}
