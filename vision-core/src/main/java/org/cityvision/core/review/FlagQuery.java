package org.cityvision.core.review;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import org.cityvision.core.naming.Names;

/**
 * A page of the review queue.
 *
 * @param cameraId only this camera, or {@code null}
 * @param label only flags the model raised with this label, or {@code null}
 * @param since only flags raised at or after, or {@code null}
 * @param until only flags raised at or before, or {@code null}
 * @param cursor from the previous page of the same query, or {@code null}
 * @param limit 1..1000
 * @param model only flags of this model ({@code waste}, {@code urban}), or {@code null}
 * @param reason only flags in the queue for this reason ({@link FlagRecord#FLAGGED}, {@link
 *     FlagRecord#CAPTURED}, {@link FlagRecord#AUDIT}), or {@code null}
 */
public record FlagQuery(
    FlagStatus status,
    String cameraId,
    String label,
    Instant since,
    Instant until,
    FlagOrder order,
    String cursor,
    int limit,
    String model,
    String reason) {
  public FlagQuery {
    if (reason != null
        && !Set.of(FlagRecord.FLAGGED, FlagRecord.CAPTURED, FlagRecord.AUDIT).contains(reason)) {
      throw new IllegalArgumentException(
          "reason must be "
              + FlagRecord.FLAGGED
              + ", "
              + FlagRecord.CAPTURED
              + " or "
              + FlagRecord.AUDIT
              + ", got '"
              + reason
              + "'");
    }
    if (model != null) {
      Names.requireSegment("model", model);
    }
    Objects.requireNonNull(status, "status");
    if (cameraId != null) {
      Names.requireSegment("cameraId", cameraId);
    }
    if (label != null) {
      Names.requireSegment("label", label);
    }
    if (since != null && until != null && since.isAfter(until)) {
      throw new IllegalArgumentException("since " + since + " is after until " + until);
    }
    Objects.requireNonNull(order, "order");
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
    }
  }

  /** A query of every model's flags. */
  public FlagQuery(
      FlagStatus status,
      String cameraId,
      String label,
      Instant since,
      Instant until,
      FlagOrder order,
      String cursor,
      int limit) {
    this(status, cameraId, label, since, until, order, cursor, limit, null, null);
  }

  /** The first page of {@code status}, newest first, no filters. */
  public static FlagQuery of(FlagStatus status, int limit) {
    return new FlagQuery(status, null, null, null, null, FlagOrder.NEWEST_FIRST, null, limit);
  }

  /** A query of one model's flags (every reason). */
  public FlagQuery(
      FlagStatus status,
      String cameraId,
      String label,
      Instant since,
      Instant until,
      FlagOrder order,
      String cursor,
      int limit,
      String model) {
    this(status, cameraId, label, since, until, order, cursor, limit, model, null);
  }

  public FlagQuery withCursor(String value) {
    return new FlagQuery(status, cameraId, label, since, until, order, value, limit, model, reason);
  }
}
