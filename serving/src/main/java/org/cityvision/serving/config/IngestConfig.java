package org.cityvision.serving.config;

import java.util.List;
import java.util.Set;
import org.cityvision.core.camera.CameraId;

/**
 * Camera frames.
 *
 * @param unknownCameras accept or refuse ids not listed in {@code cameras}
 * @param cameras known camera ids
 * @param thumbnailMaxSide longer side of stored thumbnails
 * @param thumbnailQuality their JPEG quality
 * @param idempotencyWaitMs how long a retry waits for the first request with its key to finish
 *     (possibly on another node) before it gets 409 {@code idempotency_in_progress}
 * @param ioThreads threads for blocking storage calls
 * @param reuseForSeconds a frame that shows nothing new since its camera's last classified frame
 *     reuses that result while it is younger than this, without a forward pass; 0 classifies every
 *     frame
 * @param staticFrames what the store keeps of such a static frame: {@code store} (image and
 *     thumbnail) or {@code metadata} (its record and the frame it reused only)
 * @param maxInFlight camera frames admitted at once (quality check, classification and storage);
 *     beyond it a frame is refused with 503 {@code overloaded} and {@code Retry-After}, so that an
 *     overload costs the node a refusal instead of a queue that grows until memory runs out
 */
public record IngestConfig(
    UnknownCameras unknownCameras,
    List<String> cameras,
    int thumbnailMaxSide,
    int thumbnailQuality,
    long idempotencyWaitMs,
    int ioThreads,
    long reuseForSeconds,
    StaticFrames staticFrames,
    int maxInFlight) {
  /**
   * The default of {@link #maxInFlight}: 8 frames per core. Admitted frames share the cores, so
   * each one admitted beyond what the cores finish in a fraction of a second only adds latency: on
   * 2 cores and 3× overload, 16 answered p50 537 ms and p99 765 ms with more frames accepted than
   * 64 (p50 2.4 s, p99 3.0-3.4 s) (docs/CAMERAS.md).
   */
  public static final int DEFAULT_MAX_IN_FLIGHT =
      8 * Math.max(1, Runtime.getRuntime().availableProcessors());

  public IngestConfig {
    if (unknownCameras == null) {
      throw new IllegalArgumentException("ingest.unknownCameras must be accept or refuse");
    }
    cameras = cameras == null ? List.of() : List.copyOf(cameras);
    for (String id : cameras) {
      if (!CameraId.isValid(id)) {
        throw new IllegalArgumentException(
            "ingest.cameras: '" + id + "' is not a camera id (" + CameraId.RULE + ")");
      }
    }
    Bounds.require("ingest.thumbnailMaxSide", thumbnailMaxSide, 16, 4096);
    Bounds.require("ingest.thumbnailQuality", thumbnailQuality, 1, 100);
    Bounds.require("ingest.idempotencyWaitMs", idempotencyWaitMs, 0, 600_000);
    Bounds.require("ingest.ioThreads", ioThreads, 1, 256);
    Bounds.require("ingest.reuseForSeconds", reuseForSeconds, 0, 86_400);
    if (staticFrames == null) {
      throw new IllegalArgumentException("ingest.staticFrames must be store or metadata");
    }
    Bounds.require("ingest.maxInFlight", maxInFlight, 1, 100_000);
  }

  /** Settings with the default admission limit. */
  public IngestConfig(
      UnknownCameras unknownCameras,
      List<String> cameras,
      int thumbnailMaxSide,
      int thumbnailQuality,
      long idempotencyWaitMs,
      int ioThreads,
      long reuseForSeconds,
      StaticFrames staticFrames) {
    this(
        unknownCameras,
        cameras,
        thumbnailMaxSide,
        thumbnailQuality,
        idempotencyWaitMs,
        ioThreads,
        reuseForSeconds,
        staticFrames,
        DEFAULT_MAX_IN_FLIGHT);
  }

  /** Settings that keep every static frame's image. */
  public IngestConfig(
      UnknownCameras unknownCameras,
      List<String> cameras,
      int thumbnailMaxSide,
      int thumbnailQuality,
      long idempotencyWaitMs,
      int ioThreads,
      long reuseForSeconds) {
    this(
        unknownCameras,
        cameras,
        thumbnailMaxSide,
        thumbnailQuality,
        idempotencyWaitMs,
        ioThreads,
        reuseForSeconds,
        StaticFrames.STORE);
  }

  static IngestConfig defaults() {
    return new IngestConfig(
        UnknownCameras.ACCEPT,
        List.of(),
        320,
        80,
        5_000,
        8,
        0,
        StaticFrames.STORE,
        DEFAULT_MAX_IN_FLIGHT);
  }

  /** These settings with {@code staticFrames} set to {@code value}. */
  public IngestConfig withStaticFrames(StaticFrames value) {
    return new IngestConfig(
        unknownCameras,
        cameras,
        thumbnailMaxSide,
        thumbnailQuality,
        idempotencyWaitMs,
        ioThreads,
        reuseForSeconds,
        value,
        maxInFlight);
  }

  /** These settings with {@code maxInFlight} set to {@code value}. */
  public IngestConfig withMaxInFlight(int value) {
    return new IngestConfig(
        unknownCameras,
        cameras,
        thumbnailMaxSide,
        thumbnailQuality,
        idempotencyWaitMs,
        ioThreads,
        reuseForSeconds,
        staticFrames,
        value);
  }

  /** Whether frames from {@code cameraId} (already a valid id) are accepted. */
  public boolean accepts(String cameraId) {
    return unknownCameras == UnknownCameras.ACCEPT || Set.copyOf(cameras).contains(cameraId);
  }
}
