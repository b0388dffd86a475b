package org.cityvision.serving.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.metrics.Metrics;

/**
 * Keeps the node's multipart uploads folder from filling its disk. A request's upload files are
 * deleted when its response ends, but an upload cut off (the request timed out, the client went
 * away, the process was killed) may leave a partial file behind. At start, nothing is in flight, so
 * every file there is deleted; afterwards, every {@code period} the files not written for {@code
 * maxAge} (longer than any request may run) are. Owns its timer; undeploying cancels it.
 */
public final class UploadsSweeper extends VerticleBase {
  private final Path dir;
  private final Duration maxAge;
  private final WorkerExecutor io;
  private final Metrics metrics;
  private long timer = -1;
  private boolean running;

  /**
   * @param maxAge an upload file not written for this long belongs to no request (the request
   *     timeout and a margin)
   */
  public UploadsSweeper(Path dir, Duration maxAge, WorkerExecutor io, Metrics metrics) {
    this.dir = dir;
    this.maxAge = maxAge;
    this.io = io;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    return io.executeBlocking(() -> sweep(Instant.MAX), false)
        .onSuccess(
            n -> {
              long period = Math.max(1_000, Math.min(60_000, maxAge.toMillis() / 2));
              timer = vertx.setPeriodic(period, id -> periodic());
            });
  }

  private void periodic() {
    if (running) {
      return;
    }
    running = true;
    io.executeBlocking(() -> sweep(Instant.now().minus(maxAge)), false)
        .onComplete(
            ar -> {
              running = false;
              if (ar.failed()) {
                JsonLog.get()
                    .warn(
                        "uploads_sweep_failed",
                        "dir",
                        dir.toString(),
                        "error",
                        ar.cause().toString());
              }
            });
  }

  /** Deletes the files last written before {@code writtenBefore}; returns how many. */
  private int sweep(Instant writtenBefore) throws IOException {
    int deleted = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        try {
          if (Files.isRegularFile(file)
              && Files.getLastModifiedTime(file).toInstant().isBefore(writtenBefore)
              && Files.deleteIfExists(file)) {
            deleted++;
          }
        } catch (NoSuchFileException gone) {
          // its request deleted it meanwhile
        }
      }
    } catch (NoSuchFileException e) {
      return 0;
    }
    if (deleted > 0) {
      metrics.uploadsSwept(deleted);
      JsonLog.get().info("uploads_swept", "dir", dir.toString(), "files", deleted);
    }
    return deleted;
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
