package org.cityvision.core.review;

import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;

/**
 * A reviewer's verdict as appended to {@code reviews/}: who, when, which model version they judged.
 *
 * @param previousStatus the flag's status before this verdict
 * @param revision the flag revision this verdict created
 */
public record ReviewRecord(
    String frameId,
    String reviewer,
    Verdict verdict,
    String label,
    String note,
    String model,
    String modelVersion,
    String flaggedLabel,
    FlagStatus previousStatus,
    long revision,
    Instant reviewedAt) {
  public ReviewRecord {
    FrameId.parse(frameId);
    Names.requireDottedSegment("reviewer", reviewer);
    Objects.requireNonNull(verdict, "verdict");
    Names.requireSegment("model", model);
    Names.requireDottedSegment("modelVersion", modelVersion);
    Names.requireSegment("flaggedLabel", flaggedLabel);
    Objects.requireNonNull(previousStatus, "previousStatus");
    Objects.requireNonNull(reviewedAt, "reviewedAt");
  }
}
