package org.cityvision.core.quality;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A camera's change into {@code degraded}, {@code fault} or {@code silent}, as a review item: open
 * until a reviewer confirms it (the fault is real) or dismisses it (the camera's current view is
 * its normal, which {@link CameraHealth#judge} teaches the camera's baseline). Kept in the camera's
 * health record, so a verdict and what it teaches are one conditional write.
 *
 * <p>Immutable and thread-safe.
 *
 * @param alertId unique within the camera, 1-64 characters of {@code [A-Za-z0-9_-]}
 * @param at when the camera changed (the node's clock)
 * @param from the condition before
 * @param to {@code degraded}, {@code fault} or {@code silent}
 * @param faults the confirmed faults after the change (empty for a silence without faults)
 * @param frameId the frame that confirmed the change, {@code null} for a silence
 * @param status open, confirmed or dismissed
 * @param reviewer who judged it, {@code null} while open
 * @param reviewedAt when, {@code null} while open
 * @param note the reviewer's note, or {@code null}
 */
public record CameraAlert(
    String alertId,
    Instant at,
    CameraCondition from,
    CameraCondition to,
    List<QualityFault> faults,
    String frameId,
    Status status,
    String reviewer,
    Instant reviewedAt,
    String note) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** Where an alert stands with reviewers. */
  public enum Status {
    OPEN,
    CONFIRMED,
    DISMISSED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Status ofWireName(String name) {
      for (Status s : values()) {
        if (s.wireName().equals(name)) {
          return s;
        }
      }
      throw new IllegalArgumentException(
          "unknown alert status '" + name + "'; expected open, confirmed or dismissed");
    }
  }

  public CameraAlert {
    if (alertId == null || !ID.matcher(alertId).matches()) {
      throw new IllegalArgumentException(
          "alertId must be 1-64 characters of [A-Za-z0-9_-], got '" + alertId + "'");
    }
    if (at == null || from == null || to == null || status == null) {
      throw new IllegalArgumentException("at, from, to and status are required");
    }
    if (to == CameraCondition.OK) {
      throw new IllegalArgumentException(
          "an alert is a change to degraded, fault or silent, not to ok");
    }
    faults = List.copyOf(faults);
    if ((status == Status.OPEN) != (reviewer == null && reviewedAt == null)) {
      throw new IllegalArgumentException(
          "an open alert has no reviewer and a judged one has both reviewer and "
              + "reviewedAt; got status "
              + status.wireName()
              + ", reviewer "
              + reviewer
              + ", reviewedAt "
              + reviewedAt);
    }
    if (note != null && note.length() > 2000) {
      throw new IllegalArgumentException(
          "note must be at most 2000 characters, got " + note.length());
    }
  }

  /** A new open alert for {@code transition}, numbered by the camera's frame count. */
  static CameraAlert open(HealthTransition transition, String frameId, long frames) {
    String id = Long.toString(transition.at().toEpochMilli(), 36) + "-" + frames;
    return new CameraAlert(
        id,
        transition.at(),
        transition.from(),
        transition.to(),
        transition.faults(),
        frameId,
        Status.OPEN,
        null,
        null,
        null);
  }

  public boolean isOpen() {
    return status == Status.OPEN;
  }

  /** This alert judged. */
  CameraAlert judged(Status verdict, String by, Instant when, String withNote) {
    return new CameraAlert(alertId, at, from, to, faults, frameId, verdict, by, when, withNote);
  }
}
