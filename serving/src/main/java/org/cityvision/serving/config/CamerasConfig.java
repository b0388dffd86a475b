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
 * @param healthWriteSeconds how long a camera's health changes that alter no condition, fault or
 *     alert (frame counts, times, cadence, baselines, the static reference) may wait in the node
 *     before they are written; never longer than a third of the shortest silence limit; 0 writes
 *     every frame's change at once
 */
public record CamerasConfig(
    long frozenAfterSeconds,
    long silentAfterSeconds,
    long sweepSeconds,
    int historySize,
    long healthWriteSeconds) {
  public CamerasConfig {
    Bounds.require("cameras.frozenAfterSeconds", frozenAfterSeconds, 10, 7 * 86_400);
    if (silentAfterSeconds != 0) {
      Bounds.require("cameras.silentAfterSeconds", silentAfterSeconds, 10, 7 * 86_400);
    }
    Bounds.require("cameras.sweepSeconds", sweepSeconds, 1, 3_600);
    Bounds.require("cameras.historySize", historySize, 0, 200);
    Bounds.require("cameras.healthWriteSeconds", healthWriteSeconds, 0, 3_600);
  }

  /** These settings with health changes written within the default 20 s. */
  public CamerasConfig(
      long frozenAfterSeconds, long silentAfterSeconds, long sweepSeconds, int historySize) {
    this(frozenAfterSeconds, silentAfterSeconds, sweepSeconds, historySize, 20);
  }

  static CamerasConfig defaults() {
    return new CamerasConfig(600, 0, 5, 20, 20);
  }

  /**
   * How long health changes may wait in a node: {@code healthWriteSeconds}, but at most a third of
   * the shortest silence limit {@code health} can give a camera, so that a camera's newest frame is
   * in the store well before any node could call it silent.
   */
  public Duration healthWriteEvery(CameraHealthConfig health) {
    Duration shortest = health.silentMin();
    if (health.silentUnknownCadence().compareTo(shortest) < 0) {
      shortest = health.silentUnknownCadence();
    }
    if (health.silentAfter() != null && health.silentAfter().compareTo(shortest) < 0) {
      shortest = health.silentAfter();
    }
    Duration wanted = Duration.ofSeconds(healthWriteSeconds);
    Duration cap = shortest.dividedBy(3);
    return wanted.compareTo(cap) < 0 ? wanted : cap;
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
