package org.cityvision.core.quality;

import java.util.Locale;

/**
 * What can be wrong with a camera's picture. Each kind is judged on one frame from its {@link
 * FrameAnalysis} and the camera's {@link CameraBaseline}; {@link #MOVED} and {@link #FROZEN} need
 * several frames in a row before they count.
 */
public enum QualityFault {
  /** Nearly every pixel is black: night without light, a lens cap, a dead sensor. */
  BLACK,
  /** Nearly every pixel is saturated: sun in the lens, a failed iris, a blinding light. */
  OVEREXPOSED,
  /**
   * Much less fine detail than the camera's own baseline for its scene: defocus, a smeared lens.
   */
  BLURRED,
  /**
   * Most of the view that had texture is now uniform: a bag, paint, a sticker, a close obstacle.
   */
  COVERED,
  /** The view no longer matches the camera's reference scene: knocked or turned. */
  MOVED,
  /** The same picture, pixel for pixel, for longer than {@code frozenAfter}: a hung encoder. */
  FROZEN;

  /** The name on the wire: {@code black}, {@code overexposed}, ... */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The fault named {@code name} on the wire. */
  public static QualityFault ofWireName(String name) {
    for (QualityFault f : values()) {
      if (f.wireName().equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown quality fault '"
            + name
            + "'; expected one of black, overexposed, "
            + "blurred, covered, moved, frozen");
  }

  /**
   * Whether the fault leaves a picture that still shows the scene (the camera is degraded, not
   * failed).
   */
  public boolean degradesOnly() {
    return this == BLURRED;
  }
}
