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
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageLimits;
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
  private final ImageDecoder decoder;
  private final int thumbnailMaxSide;
  private final int thumbnailQuality;
  private final RateLimit limit;
  private final AtomicInteger pending = new AtomicInteger();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

  /**
   * @param capacity captures waiting or being written, at most ({@code capture.queue})
   * @param maxPerMinute captures per minute that {@link #submit} with {@code limited} keeps, at
   *     most ({@code capture.maxPerMinute}; 0: no limit)
   * @param limits the image limits the thumbnail's decode uses
   * @param thumbnailMaxSide the stored thumbnail's longer side
   * @param thumbnailQuality its JPEG quality
   */
  public CaptureWriter(
      ClassifiedFrames writes,
      WorkerExecutor io,
      Clock clock,
      int capacity,
      int maxPerMinute,
      ImageLimits limits,
      int thumbnailMaxSide,
      int thumbnailQuality,
      Metrics metrics) {
    this.writes = writes;
    this.io = io;
    this.clock = clock;
    this.capacity = capacity;
    this.decoder = new ImageDecoder(limits);
    this.thumbnailMaxSide = thumbnailMaxSide;
    this.thumbnailQuality = thumbnailQuality;
    this.limit = maxPerMinute > 0 ? new RateLimit(maxPerMinute) : null;
    for (String outcome :
        new String[] {"stored", "dropped", "rate_limited", "failed", "unsupported_format"}) {
      outcomes.put(outcome, new LongAdder());
    }
    metrics.counter(
        "cityvision_captures",
        "Sorting images kept for review, by outcome: stored, dropped (the "
            + "capture queue was full), rate_limited (beyond capture.maxPerMinute), failed (the store refused the write), unsupported_format (WebP: the store keeps "
            + "JPEG and PNG)",
        "outcome",
        this::counts);
    metrics.gauge(
        "cityvision_capture_queue", "Captured images waiting to be written", pending::get);
  }

  /**
   * Queues the write of a captured image; its thumbnail is made there too, behind the answer, so
   * that the answers that are not kept never pay for one.
   *
   * @param source the machine, a valid camera id: the frame's source
   * @param format the image's format; only JPEG and PNG are kept
   * @param limited whether {@code capture.maxPerMinute} applies (the node's {@code uncertain} and
   *     {@code sample:} policies; not {@code always})
   * @return the id the frame will be stored under, or empty when it is not kept (queue full, rate
   *     limit, format)
   */
  public Optional<String> submit(
      String source, byte[] bytes, ImageFormat format, Classification c, boolean limited) {
    if (format != ImageFormat.JPEG && format != ImageFormat.PNG) {
      outcomes.get("unsupported_format").increment();
      return Optional.empty();
    }
    if (limited && limit != null && !limit.tryTake(System.nanoTime())) {
      outcomes.get("rate_limited").increment();
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
    io.executeBlocking(
            () ->
                writes.storeCaptured(
                    new FrameUpload(source, now, type, bytes, thumbnail(bytes), id), c, now),
            false)
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

  /** The stored thumbnail of a classified image (it decoded once already: it decodes again). */
  private byte[] thumbnail(byte[] bytes) throws ImageException {
    try (DecodedImage image = decoder.decode(bytes, thumbnailMaxSide, thumbnailMaxSide)) {
      return image.thumbnailJpeg(thumbnailMaxSide, thumbnailQuality);
    }
  }

  /**
   * At most {@code perMinute} takes a minute, a minute's worth at once at most (a token bucket).
   */
  static final class RateLimit {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last = Long.MIN_VALUE;

    RateLimit(int perMinute) {
      this.perNano = perMinute / 60e9;
      this.burst = perMinute;
      this.tokens = perMinute;
    }

    synchronized boolean tryTake(long nowNanos) {
      if (last != Long.MIN_VALUE) {
        tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
      }
      last = nowNanos;
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }
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
