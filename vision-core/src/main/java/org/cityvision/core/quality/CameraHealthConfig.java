package org.cityvision.core.quality;

import java.time.Duration;

/**
 * Thresholds of the quality checks and the camera health rules, each with a validated range (a
 * value outside it is refused with a message that names the key and the range).
 *
 * @param frozenAfter a run of pixel-identical frames longer than this is {@code frozen}
 * @param silentAfter no frame for this long is {@code silent}; {@code null} derives it per camera
 *     as {@code silentFactor} × the median interval between its frames, at least {@code silentMin}
 * @param silentFactor multiple of the median interval after which a camera is silent
 * @param silentMin the shortest derived silence limit
 * @param silentUnknownCadence the silence limit while a camera has too few frames for a median
 *     interval
 * @param blackLevel luminance (0..255) at or below which a pixel is black
 * @param blackShare share of black pixels that makes a frame {@code black}
 * @param overexposedLevel luminance at or above which a pixel is saturated
 * @param overexposedShare share of saturated pixels that makes a frame {@code overexposed}
 * @param blurRatio a frame is {@code blurred} when its sharpness falls below this share of the
 *     camera's baseline sharpness
 * @param coverDrop a block counts as covered when its texture falls below this share of its
 *     reference
 * @param coverShare a frame is {@code covered} when this share of the reference's textured blocks
 *     is covered
 * @param textureMin the reference texture (mean absolute gradient, grey levels) above which a block
 *     counts as textured
 * @param moveSimilarity a frame whose view agrees with the reference scene less than this (-1..1),
 *     or whose structure is found displaced in at least two quadrants, counts towards {@code moved}
 * @param moveFrames frames in a row below {@code moveSimilarity} before {@code moved} is reported
 * @param confirmFrames frames in a row that show a fault before the camera's state changes
 * @param recoverFrames frames in a row without a fault before the camera recovers from it
 * @param baselineFrames frames that build a camera's baseline before blur, cover and movement are
 *     judged
 * @param staticThreshold the {@link SceneSignature#staticDifference} (grey levels) under which a
 *     frame shows nothing new
 * @param reuseFor how long a classified frame's result may stand for later static frames; zero
 *     turns static-frame gating off
 * @param historySize state changes kept per camera
 */
public record CameraHealthConfig(
    Duration frozenAfter,
    Duration silentAfter,
    double silentFactor,
    Duration silentMin,
    Duration silentUnknownCadence,
    int blackLevel,
    double blackShare,
    int overexposedLevel,
    double overexposedShare,
    double blurRatio,
    double coverDrop,
    double coverShare,
    double textureMin,
    double moveSimilarity,
    int moveFrames,
    int confirmFrames,
    int recoverFrames,
    int baselineFrames,
    double staticThreshold,
    Duration reuseFor,
    int historySize) {

  public static final CameraHealthConfig DEFAULTS =
      new CameraHealthConfig(
          Duration.ofMinutes(10),
          null,
          5,
          Duration.ofSeconds(60),
          Duration.ofMinutes(15),
          32,
          0.98,
          240,
          0.5,
          0.45,
          0.2,
          0.4,
          2.0,
          0.3,
          3,
          2,
          2,
          5,
          6.0,
          Duration.ofMinutes(5),
          20);

  public CameraHealthConfig {
    duration("frozenAfter", frozenAfter, Duration.ofSeconds(10), Duration.ofDays(7));
    if (silentAfter != null) {
      duration("silentAfter", silentAfter, Duration.ofSeconds(10), Duration.ofDays(7));
    }
    range("silentFactor", silentFactor, 1.5, 100);
    duration("silentMin", silentMin, Duration.ofSeconds(10), Duration.ofDays(1));
    duration(
        "silentUnknownCadence", silentUnknownCadence, Duration.ofSeconds(10), Duration.ofDays(7));
    range("blackLevel", blackLevel, 0, 128);
    range("blackShare", blackShare, 0.5, 1);
    range("overexposedLevel", overexposedLevel, 128, 255);
    range("overexposedShare", overexposedShare, 0.5, 1);
    range("blurRatio", blurRatio, 0.05, 0.95);
    range("coverDrop", coverDrop, 0.01, 0.9);
    range("coverShare", coverShare, 0.2, 1);
    range("textureMin", textureMin, 0.1, 50);
    range("moveSimilarity", moveSimilarity, -1, 0.99);
    range("moveFrames", moveFrames, 1, 100);
    range("confirmFrames", confirmFrames, 1, 20);
    range("recoverFrames", recoverFrames, 1, 100);
    range("baselineFrames", baselineFrames, 1, 1000);
    range("staticThreshold", staticThreshold, 0.5, 64);
    duration("reuseFor", reuseFor, Duration.ZERO, Duration.ofDays(1));
    range("historySize", historySize, 0, 200);
  }

  /** A copy with another {@code reuseFor}. */
  public CameraHealthConfig withReuseFor(Duration value) {
    return new CameraHealthConfig(
        frozenAfter,
        silentAfter,
        silentFactor,
        silentMin,
        silentUnknownCadence,
        blackLevel,
        blackShare,
        overexposedLevel,
        overexposedShare,
        blurRatio,
        coverDrop,
        coverShare,
        textureMin,
        moveSimilarity,
        moveFrames,
        confirmFrames,
        recoverFrames,
        baselineFrames,
        staticThreshold,
        value,
        historySize);
  }

  /** A copy with another {@code frozenAfter} and {@code silentAfter} ({@code null}: derived). */
  public CameraHealthConfig withTimes(Duration frozen, Duration silent) {
    return new CameraHealthConfig(
        frozen,
        silent,
        silentFactor,
        silentMin,
        silentUnknownCadence,
        blackLevel,
        blackShare,
        overexposedLevel,
        overexposedShare,
        blurRatio,
        coverDrop,
        coverShare,
        textureMin,
        moveSimilarity,
        moveFrames,
        confirmFrames,
        recoverFrames,
        baselineFrames,
        staticThreshold,
        reuseFor,
        historySize);
  }

  private static void range(String key, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          "cameras." + key + " must be between " + min + " and " + max + ", got " + value);
    }
  }

  private static void duration(String key, Duration value, Duration min, Duration max) {
    if (value == null) {
      throw new IllegalArgumentException("cameras." + key + " is required");
    }
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          "cameras." + key + " must be between " + min + " and " + max + ", got " + value);
    }
  }
}
