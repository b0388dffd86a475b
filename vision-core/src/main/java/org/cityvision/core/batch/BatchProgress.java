package org.cityvision.core.batch;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.naming.Names;

/**
 * Where a batch job stands, as stored (one writer, the node running it) and as reported by {@code
 * GET /v1/batch/{jobId}} and the CLI.
 *
 * @param model the model's name; {@code null} only for a job state this package did not write
 * @param version the model version whose results the job writes; {@code null} as for {@code model}
 * @param total frames under the prefix, or -1 while they are being counted
 * @param counts every frame handled so far, including in pages not yet checkpointed
 * @param failures the first failures, with reasons (the count in {@code counts} is exact)
 * @param rate frames per second handled recently (0 before the first measurement)
 * @param etaSeconds seconds left at {@code rate}, or -1 when unknown
 * @param cursor the listing cursor up to which every frame is done, where a resumed job starts;
 *     {@code null} from the start
 * @param checkpoint the counts of the frames up to {@code cursor}, which a resumed job starts from
 * @param listingComplete every page was listed and handled: a resumed job has nothing left to list
 * @param message why the job failed, or {@code null}
 */
public record BatchProgress(
    String jobId,
    BatchRequest request,
    String model,
    String version,
    JobStatus status,
    long total,
    BatchCounts counts,
    List<FrameFailure> failures,
    double rate,
    long etaSeconds,
    String cursor,
    BatchCounts checkpoint,
    boolean listingComplete,
    String message,
    Instant createdAt,
    Instant updatedAt) {
  public BatchProgress {
    Names.requireSegment("jobId", jobId);
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(status, "status");
    if (total < -1) {
      throw new IllegalArgumentException("total must be -1 (unknown) or more, got " + total);
    }
    Objects.requireNonNull(counts, "counts");
    failures = List.copyOf(failures);
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("rate must be finite and not negative, got " + rate);
    }
    if (etaSeconds < -1) {
      throw new IllegalArgumentException(
          "etaSeconds must be -1 (unknown) or more, got " + etaSeconds);
    }
    Objects.requireNonNull(checkpoint, "checkpoint");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  /** Whether the job has stopped: done, failed or cancelled. */
  public boolean finished() {
    return status != JobStatus.RUNNING;
  }

  /**
   * A running job whose state has not been written for {@code silence}: its node probably died, and
   * the job can be resumed.
   */
  public boolean stalled(Instant now, Duration silence) {
    return status == JobStatus.RUNNING && updatedAt.plus(silence).isBefore(now);
  }

  BatchProgress withStatus(JobStatus value, Instant at) {
    return new BatchProgress(
        jobId,
        request,
        model,
        version,
        value,
        total,
        counts,
        failures,
        rate,
        etaSeconds,
        cursor,
        checkpoint,
        listingComplete,
        message,
        createdAt,
        at);
  }
}
