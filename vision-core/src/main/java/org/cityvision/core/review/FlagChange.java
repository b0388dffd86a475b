package org.cityvision.core.review;

import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;

/**
 * One change of the review queue, recorded with the counter revision that counted it, so that every
 * node can tell its clients what changed on any node ({@code FrameStore.flagCountsSince}).
 *
 * @param kind {@value #CREATED}, {@value #REVIEWED} or {@value #DELETED}
 * @param status the flag's status after the change
 * @param at when the change was made
 */
public record FlagChange(
    String kind,
    String frameId,
    String cameraId,
    String label,
    String model,
    FlagStatus status,
    Instant at) {
  public static final String CREATED = "created";
  public static final String REVIEWED = "reviewed";
  public static final String DELETED = "deleted";

  public FlagChange {
    if (!CREATED.equals(kind) && !REVIEWED.equals(kind) && !DELETED.equals(kind)) {
      throw new IllegalArgumentException("kind must be created, reviewed or deleted, got " + kind);
    }
    FrameId.parse(frameId);
    Names.requireSegment("cameraId", cameraId);
    Names.requireSegment("label", label);
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(at, "at");
  }

  /** The change {@code kind} of {@code flag}, made {@code at}. */
  public static FlagChange of(String kind, FlagRecord flag, Instant at) {
    return new FlagChange(
        kind, flag.frameId(), flag.cameraId(), flag.label(), flag.model(), flag.status(), at);
  }
}
