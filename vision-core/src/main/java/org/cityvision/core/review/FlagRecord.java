package org.cityvision.core.review;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;

/**
 * One revision of a flag: a frame in the review queue (raised by a model or kept by capture), and
 * what reviewers decided.
 *
 * @param label the label the model flagged; it stays the queue's filter label after a relabel
 * @param score the model's confidence in {@code label}, 0..1
 * @param revision 1 when created, +1 per review; the unit of optimistic concurrency
 * @param reviewer who set the current status, {@code null} while open
 * @param reviewedAt when, {@code null} while open
 * @param verdictLabel the reviewer's label for {@link FlagStatus#RELABELLED}, else {@code null}
 * @param note the reviewer's note, or {@code null}
 * @param reason why the frame is in the queue: {@value #FLAGGED} (the model's flag policy raised
 *     it), {@value #CAPTURED} (a sorting machine's image kept for review, labelled with the model's
 *     prediction) or {@value #AUDIT} (an unflagged camera frame sampled for review, labelled with
 *     the model's answer); records stored without it read as {@value #FLAGGED}
 * @param margin the answer's top-2 probability margin (0..1: small means the model hesitated
 *     between two classes), or {@code null} for records stored without it
 * @param hash the difference hash of the frame's thumbnail with its confidence mask (32 hex digits,
 *     {@code DifferenceHash}), computed when the flag was created, or {@code null} (no thumbnail,
 *     or stored before flags were hashed)
 * @param group the near-duplicate group the flag joined when it was created: the frame id of the
 *     group's first flag (its own id when it started one), or {@code null} for an ungrouped flag
 */
public record FlagRecord(
    String frameId,
    String cameraId,
    String label,
    double score,
    String model,
    String modelVersion,
    Instant flaggedAt,
    FlagStatus status,
    long revision,
    String reviewer,
    Instant reviewedAt,
    String verdictLabel,
    String note,
    String reason,
    Double margin,
    String hash,
    String group) {
  /** Raised by the model's flag policy. */
  public static final String FLAGGED = "flagged";

  /** A classified image kept for review by the node's capture policy. */
  public static final String CAPTURED = "captured";

  /**
   * An unflagged camera frame sampled for review, so that reviewers catch what the model missed.
   */
  public static final String AUDIT = "audit";

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{32}");

  public FlagRecord {
    if (hash != null && !HASH.matcher(hash).matches()) {
      throw new IllegalArgumentException("hash must be 32 lowercase hex digits, got " + hash);
    }
    if (group != null) {
      FrameId.parse(group);
    }
    reason = reason == null ? FLAGGED : reason;
    if (margin != null && !(margin >= 0.0 && margin <= 1.0)) {
      throw new IllegalArgumentException("margin must be in 0..1, got " + margin);
    }
    if (!reason.equals(FLAGGED) && !reason.equals(CAPTURED) && !reason.equals(AUDIT)) {
      throw new IllegalArgumentException(
          "reason must be " + FLAGGED + ", " + CAPTURED + " or " + AUDIT + ", got " + reason);
    }
    FrameId id = FrameId.parse(frameId);
    Names.requireSegment("cameraId", cameraId);
    if (!id.cameraId().equals(cameraId)) {
      throw new IllegalArgumentException(
          "cameraId " + cameraId + " does not match frameId " + frameId);
    }
    Names.requireSegment("label", label);
    if (!(score >= 0.0 && score <= 1.0)) {
      throw new IllegalArgumentException("score must be in 0..1, got " + score);
    }
    Names.requireSegment("model", model);
    Names.requireDottedSegment("modelVersion", modelVersion);
    Objects.requireNonNull(flaggedAt, "flaggedAt");
    Objects.requireNonNull(status, "status");
    if (revision < 1 || revision >= Names.MAX_REVISION) {
      throw new IllegalArgumentException("revision must be >= 1, got " + revision);
    }
    if (status == FlagStatus.OPEN) {
      if (reviewer != null || reviewedAt != null || verdictLabel != null) {
        throw new IllegalArgumentException(
            "an open flag has no reviewer, reviewedAt or verdictLabel");
      }
    } else {
      Names.requireDottedSegment("reviewer", reviewer);
      Objects.requireNonNull(reviewedAt, "reviewedAt");
    }
    if (status == FlagStatus.RELABELLED) {
      Names.requireSegment("verdictLabel", verdictLabel);
    } else if (verdictLabel != null) {
      throw new IllegalArgumentException("verdictLabel is only for relabelled flags");
    }
  }

  /** A flag without a hash or group. */
  public FlagRecord(
      String frameId,
      String cameraId,
      String label,
      double score,
      String model,
      String modelVersion,
      Instant flaggedAt,
      FlagStatus status,
      long revision,
      String reviewer,
      Instant reviewedAt,
      String verdictLabel,
      String note,
      String reason,
      Double margin) {
    this(
        frameId,
        cameraId,
        label,
        score,
        model,
        modelVersion,
        flaggedAt,
        status,
        revision,
        reviewer,
        reviewedAt,
        verdictLabel,
        note,
        reason,
        margin,
        null,
        null);
  }

  /** A flag raised by the model's flag policy. */
  public FlagRecord(
      String frameId,
      String cameraId,
      String label,
      double score,
      String model,
      String modelVersion,
      Instant flaggedAt,
      FlagStatus status,
      long revision,
      String reviewer,
      Instant reviewedAt,
      String verdictLabel,
      String note) {
    this(
        frameId,
        cameraId,
        label,
        score,
        model,
        modelVersion,
        flaggedAt,
        status,
        revision,
        reviewer,
        reviewedAt,
        verdictLabel,
        note,
        FLAGGED,
        null);
  }

  /**
   * A new open flag at revision 1 with its answer's top-2 margin; the camera comes from the frame
   * id.
   *
   * @param reason {@link #FLAGGED} (the flag policy raised it) or {@link #CAPTURED} (a captured
   *     image, {@code label} is the model's prediction)
   */
  public static FlagRecord open(
      String frameId,
      String label,
      double score,
      Double margin,
      String model,
      String modelVersion,
      Instant flaggedAt,
      String reason) {
    return new FlagRecord(
        frameId,
        FrameId.parse(frameId).cameraId(),
        label,
        score,
        model,
        modelVersion,
        flaggedAt,
        FlagStatus.OPEN,
        1,
        null,
        null,
        null,
        null,
        reason,
        margin);
  }

  /** A new open flag at revision 1; the camera comes from the frame id. */
  public static FlagRecord open(
      String frameId,
      String label,
      double score,
      String model,
      String modelVersion,
      Instant flaggedAt) {
    return open(frameId, label, score, null, model, modelVersion, flaggedAt, FLAGGED);
  }

  /** The next revision after {@code review}. */
  public FlagRecord reviewed(FlagReview review, Instant at) {
    return new FlagRecord(
        frameId,
        cameraId,
        label,
        score,
        model,
        modelVersion,
        flaggedAt,
        review.verdict().status(),
        revision + 1,
        review.reviewer(),
        at,
        review.label(),
        review.note(),
        reason,
        margin,
        hash,
        group);
  }

  /**
   * The next revision after a verdict is taken back: open again, with no reviewer, label or note.
   */
  public FlagRecord reopened() {
    return new FlagRecord(
        frameId,
        cameraId,
        label,
        score,
        model,
        modelVersion,
        flaggedAt,
        FlagStatus.OPEN,
        revision + 1,
        null,
        null,
        null,
        null,
        reason,
        margin,
        hash,
        group);
  }

  /**
   * This flag with its thumbnail's difference hash and the near-duplicate group it joins; for a new
   * flag, before it is stored.
   */
  public FlagRecord grouped(String hash, String group) {
    return new FlagRecord(
        frameId,
        cameraId,
        label,
        score,
        model,
        modelVersion,
        flaggedAt,
        status,
        revision,
        reviewer,
        reviewedAt,
        verdictLabel,
        note,
        reason,
        margin,
        hash,
        group);
  }
}
