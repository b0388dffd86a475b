package org.cityvision.serving.config;

import java.time.Duration;
import org.cityvision.core.quality.CameraHealthConfig;

/**
 * Camera health.
 *
 * @param frozenAfterSeconds pixel-identical frames for longer than this are {@code frozen}
 * @param silentAfterSeconds no frame for this long is {@code silent}; 0 derives it per camera (5×
 *     its median interval, at least 60 s)
 * @param sweepSeconds how often each node looks for silent cameras
 * @param historySize state changes kept per camera
 */
public record CamerasConfig(
    long frozenAfterSeconds, long silentAfterSeconds, long sweepSeconds, int historySize) {
  public CamerasConfig {
    Bounds.require("cameras.frozenAfterSeconds", frozenAfterSeconds, 10, 7 * 86_400);
    if (silentAfterSeconds != 0) {
      Bounds.require("cameras.silentAfterSeconds", silentAfterSeconds, 10, 7 * 86_400);
    }
    Bounds.require("cameras.sweepSeconds", sweepSeconds, 1, 3_600);
    Bounds.require("cameras.historySize", historySize, 0, 200);
  }

  static CamerasConfig defaults() {
    return new CamerasConfig(600, 0, 5, 20);
  }

  /** The health rules with these settings and {@code reuseFor} for static frames. */
  public CameraHealthConfig health(Duration reuseFor) {
    CameraHealthConfig d = CameraHealthConfig.DEFAULTS;
    return new CameraHealthConfig(
        Duration.ofSeconds(frozenAfterSeconds),
        silentAfterSeconds == 0 ? null : Duration.ofSeconds(silentAfterSeconds),
        d.silentFactor(),
        d.silentMin(),
        d.silentUnknownCadence(),
        d.blackLevel(),
        d.blackShare(),
        d.overexposedLevel(),
        d.overexposedShare(),
        d.blurRatio(),
        d.coverDrop(),
        d.coverShare(),
        d.textureMin(),
        d.moveSimilarity(),
        d.moveFrames(),
        d.confirmFrames(),
        d.recoverFrames(),
        d.baselineFrames(),
        d.staticThreshold(),
        reuseFor,
        historySize);
  }
}
