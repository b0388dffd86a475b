package org.cityvision.core.quality;

import java.util.Locale;

/** A camera's health as a whole, derived from its confirmed faults and its cadence. */
public enum CameraCondition {
  /** Frames arrive and no fault is confirmed. */
  OK,
  /**
   * Frames arrive but show a fault not yet confirmed, or only a picture-degrading one ({@code
   * blurred}).
   */
  DEGRADED,
  /**
   * A confirmed fault that makes the picture unusable (black, overexposed, covered, moved, frozen).
   */
  FAULT,
  /** No frame for longer than the camera's silence limit. */
  SILENT;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static CameraCondition ofWireName(String name) {
    for (CameraCondition c : values()) {
      if (c.wireName().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown camera state '" + name + "'; expected ok, degraded, fault or silent");
  }
}
