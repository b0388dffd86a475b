package org.cityvision.serving.capture;

import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassifiedFrames;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.storage.FrameId;
import org.cityvision.core.storage.FrameUpload;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.metrics.Metrics;

/**
 * Writes captured sorting images behind the answer: {@link #submit} fixes the frame id, hands the
 * write ({@link ClassifiedFrames#storeCaptured}: frame, thumbnail, flag, result) to the I/O
 * executor and returns at once, so a machine's answer never waits on the store. At most {@code
 * capacity} writes wait or run at a time; a capture beyond that is dropped and counted, never
 * queued without bound (a slow or absent store must not grow the heap nor delay sorting).
 *
 * <p>The write goes through the same store path as camera frames, so a frame the store cannot take
 * goes to the write-ahead spool like theirs. A write that fails outright is logged and counted
 * ({@code cityvision_captures_total{outcome="failed"}}); its {@code frameId}, already answered,
 * then names no frame. Thread-safe.
 */
public final class CaptureWriter {
  private final ClassifiedFrames writes;
  private final WorkerExecutor io;
  private final Clock clock;
  private final int capacity;
  private final AtomicInteger pending = new AtomicInteger();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

  public CaptureWriter(
      ClassifiedFrames writes, WorkerExecutor io, Clock clock, int capacity, Metrics metrics) {
    this.writes = writes;
    this.io = io;
    this.clock = clock;
    this.capacity = capacity;
    for (String outcome : new String[] {"stored", "dropped", "failed", "unsupported_format"}) {
      outcomes.put(outcome, new LongAdder());
    }
    metrics.counter(
        "cityvision_captures",
        "Sorting images kept for review, by outcome: stored, dropped (the "
            + "capture queue was full), failed (the store refused the write), unsupported_format (WebP: the store keeps "
            + "JPEG and PNG)",
        "outcome",
        this::counts);
    metrics.gauge(
        "cityvision_capture_queue", "Captured images waiting to be written", pending::get);
  }

  /**
   * Queues the write of a captured image.
   *
   * @param source the machine, a valid camera id: the frame's source
   * @param format the image's format; only JPEG and PNG are kept
   * @param thumbnail a JPEG thumbnail, or {@code null}
   * @return the id the frame will be stored under, or empty when it is not kept (queue full,
   *     format)
   */
  public Optional<String> submit(
      String source, byte[] bytes, ImageFormat format, byte[] thumbnail, Classification c) {
    if (format != ImageFormat.JPEG && format != ImageFormat.PNG) {
      outcomes.get("unsupported_format").increment();
      return Optional.empty();
    }
    if (pending.incrementAndGet() > capacity) {
      pending.decrementAndGet();
      outcomes.get("dropped").increment();
      return Optional.empty();
    }
    Instant now = clock.instant();
    FrameId id = FrameId.generate(source, now);
    String type = format == ImageFormat.PNG ? "image/png" : "image/jpeg";
    FrameUpload upload = new FrameUpload(source, now, type, bytes, thumbnail, id);
    io.executeBlocking(() -> writes.storeCaptured(upload, c, now), false)
        .onComplete(
            ar -> {
              pending.decrementAndGet();
              if (ar.succeeded()) {
                outcomes.get("stored").increment();
              } else {
                outcomes.get("failed").increment();
                JsonLog.get().error("capture_failed", ar.cause(), "frameId", id.value());
              }
            });
    return Optional.of(id.value());
  }

  /** Writes queued or running now. */
  public int pending() {
    return pending.get();
  }

  /** Captures by outcome since start. */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    outcomes.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
