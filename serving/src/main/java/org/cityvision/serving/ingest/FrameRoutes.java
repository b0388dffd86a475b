package org.cityvision.serving.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.FlagPolicy;
import org.cityvision.core.classify.Timings;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageHeaders;
import org.cityvision.core.storage.FlagRecord;
import org.cityvision.core.storage.FrameId;
import org.cityvision.core.storage.FrameRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameUpload;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.ResultRecord;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.ErrorMapper;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.http.RequestLog;
import org.cityvision.serving.inference.Answers;
import org.cityvision.serving.inference.Bodies;
import org.cityvision.serving.inference.Inference;
import org.cityvision.serving.inference.InferenceService;
import org.cityvision.serving.metrics.Metrics;
import org.cityvision.serving.cameras.CameraHealthService;
import org.cityvision.serving.review.ReviewEvents;

/**
 * {@code POST /v1/cameras/{cameraId}/frames} (camera frames in) and {@code GET
 * /v1/frames/{frameId}} (a frame's metadata, results and flag).
 *
 * <p>A frame is validated (camera id, capture time, body type and magic bytes), classified with the
 * urban model off the event loop, then stored with its thumbnail and result, and flagged when an
 * issue class passes its threshold ({@link FlagPolicy}, the rule batch jobs flag by too). With an {@code Idempotency-Key}, retries
 * on any node get the first answer ({@link IdempotencyLedger}).
 */
public final class FrameRoutes {
  /** The task camera frames are classified with. */
  public static final String TASK = "urban";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_IDEMPOTENCY_KEY = 128;

  private final IngestConfig config;
  private final InferenceService inference;
  private final FrameStore store;
  private final IdempotencyLedger ledger;
  private final WorkerExecutor io;
  private final Metrics metrics;
  private final Clock clock;
  private final ReviewEvents events;
  private final CameraHealthService health;

  /**
   * @param events told about every flag created (webhooks, Open311); must not block
   * @param health the quality check and camera health every frame goes through first
   */
  public FrameRoutes(IngestConfig config, InferenceService inference, FrameStore store, IdempotencyLedger ledger,
      WorkerExecutor io, Metrics metrics, Clock clock, ReviewEvents events, CameraHealthService health) {
    this.config = config;
    this.inference = inference;
    this.store = store;
    this.ledger = ledger;
    this.io = io;
    this.metrics = metrics;
    this.clock = clock;
    this.events = events;
    this.health = health;
  }

  /** {@code POST /v1/cameras/{cameraId}/frames}. */
  public void ingest(RoutingContext ctx) {
    String cameraId = ctx.pathParam("cameraId");
    if (cameraId == null || !IngestConfig.CAMERA_ID.matcher(cameraId).matches()) {
      throw ApiException.badRequest("invalid_camera_id", "camera ids are 1-64 characters of [A-Za-z0-9_-]");
    }
    if (!config.accepts(cameraId)) {
      throw new ApiException(403, "unknown_camera", "camera '" + cameraId + "' is not registered on this system");
    }
    Instant capturedAt = capturedAt(ctx.request().getHeader("X-Captured-At"));
    String idempotencyKey = idempotencyKey(ctx.request().getHeader("Idempotency-Key"));
    inference.model(TASK);
    frameBytes(ctx).compose(bytes -> {
      if (idempotencyKey == null) {
        return process(cameraId, capturedAt, bytes, null).map(answer -> new Outcome(answer, false));
      }
      String bodyHash = sha256(bytes);
      return io.executeBlocking(() -> ledger.claim(cameraId, idempotencyKey, bodyHash), false).compose(claim -> {
        if (!claim.owned()) {
          metrics.idempotentReplay();
          return Future.succeededFuture(new Outcome(new JsonObject(claim.answer().toString()), true));
        }
        return process(cameraId, capturedAt, bytes, idempotencyKey).transform(ar -> io.executeBlocking(() -> {
          if (ar.succeeded()) {
            ledger.done(claim, bodyHash, JSON.readTree(ar.result().encode()));
            return new Outcome(ar.result(), false);
          }
          ApiException e = ErrorMapper.map(ar.cause(), -1);
          ledger.failed(claim, bodyHash, e.status(), e.code());
          throw ar.cause() instanceof Exception ex ? ex : new IllegalStateException(ar.cause());
        }, false));
      });
    }).onSuccess(outcome -> {
      ctx.response().putHeader("Location", "/v1/frames/" + outcome.answer().getString("frameId"));
      if (outcome.replayed()) {
        ctx.response().putHeader("Idempotent-Replayed", "true");
      }
      Json.send(ctx, 201, outcome.answer());
    }).onFailure(ctx::fail);
  }

  private record Outcome(JsonObject answer, boolean replayed) {}

  /**
   * Quality check and camera health first (I/O threads: a 1/8-scale decode and the camera's record);
   * a static frame reuses its camera's last result, any other is classified (decode threads, model
   * queue) and stored (I/O threads).
   */
  private Future<JsonObject> process(String cameraId, Instant capturedAt, byte[] bytes, String idempotencyKey) {
    Instant receivedAt = clock.instant();
    return io.executeBlocking(() -> {
      // A frame the camera path refuses must not count in its camera's health.
      InferenceService.requireCameraFormat(ImageHeaders.sniff(bytes));
      return health.observe(cameraId, bytes, capturedAt, receivedAt);
    }, false)
        .compose(seen -> {
          if (seen.update().isStatic()) {
            return io.executeBlocking(() -> quality(storeReused(cameraId, capturedAt, bytes, seen, idempotencyKey),
                seen), false);
          }
          return inference.classify(TASK, bytes, config.thumbnailMaxSide(), config.thumbnailQuality(), false)
              .compose(result -> io.executeBlocking(() -> {
                JsonObject answer = store(cameraId, capturedAt, bytes, result, idempotencyKey);
                if (seen.update().faults().isEmpty() && seen.recorded()) {
                  health.classified(cameraId, seen.analysis(), answer.getString("frameId"));
                }
                return quality(answer, seen);
              }, false));
        });
  }

  private static JsonObject quality(JsonObject answer, CameraHealthService.Observation seen) {
    io.vertx.core.json.JsonArray faults = new io.vertx.core.json.JsonArray();
    seen.update().faults().forEach(f -> faults.add(f.wireName()));
    return answer.put("quality", new JsonObject().put("faults", faults).put("static", seen.update().isStatic()));
  }

  /** A static frame: stored with its camera's last result, no forward pass; the answer says where it came from. */
  private JsonObject storeReused(String cameraId, Instant capturedAt, byte[] bytes,
      CameraHealthService.Observation seen, String key) throws Exception {
    String from = seen.update().reuse().orElseThrow().frameId();
    ResultRecord earlier = store.results(from).stream().findFirst().orElseThrow(() ->
        new ObjectNotFoundException("reused frame " + from + " has no stored result"));
    String contentType = ImageHeaders.sniff(bytes) == ImageFormat.PNG ? "image/png" : "image/jpeg";
    FrameRecord frame = ClassifiedFrames.writeReused(store, new FrameUpload(cameraId, capturedAt, contentType, bytes,
        null), earlier, clock.instant());
    com.fasterxml.jackson.databind.JsonNode p = earlier.payload();
    io.vertx.core.json.JsonArray top = new io.vertx.core.json.JsonArray();
    p.path("top").forEach(t -> top.add(new JsonObject().put("label", t.path("label").asText())
        .put("score", t.path("score").asDouble())));
    metrics.frameStored(frame.durability().name().toLowerCase(Locale.ROOT));
    metrics.frameReused();
    JsonObject answer = stored(frame)
        .put("classification", new JsonObject().put("label", p.path("label").asText())
            .put("score", p.path("score").asDouble()).put("top", top).put("model", earlier.model())
            .put("version", earlier.version()))
        .put("flagged", false)
        .put("reused", true)
        .put("reusedFrom", from);
    if (key != null) {
      answer.put("idempotencyKey", key);
    }
    return answer;
  }

  /** The stored frame's part of an ingest answer. */
  private static JsonObject stored(FrameRecord frame) {
    return new JsonObject()
        .put("frameId", frame.frameId())
        .put("cameraId", frame.cameraId())
        .put("key", frame.key())
        .put("thumbnailKey", frame.thumbnailKey())
        .put("capturedAt", frame.capturedAt().toString())
        .put("receivedAt", frame.receivedAt().toString())
        .put("sizeBytes", frame.sizeBytes())
        .put("durability", frame.durability().name().toLowerCase(Locale.ROOT));
  }

  private JsonObject store(String cameraId, Instant capturedAt, byte[] bytes, Inference result, String key)
      throws Exception {
    Classification c = result.classification();
    String contentType = result.header().format() == ImageFormat.PNG ? "image/png" : "image/jpeg";
    Instant now = clock.instant();
    // The one stored result format, the same as batch jobs and the Spark job write.
    Classification stored = c.withTimings(new Timings(result.decodeNanos(), 0, result.queueNanos(),
        result.inferenceNanos()));
    ClassifiedFrames.Written written = ClassifiedFrames.write(store, new FrameUpload(cameraId, capturedAt, contentType,
        bytes, result.thumbnail()), stored, result.model().spec().thresholds(), now);
    FrameRecord frame = written.frame();
    JsonObject answer = stored(frame)
        .put("classification", Answers.classification(c))
        .put("flagged", written.flag().isPresent());
    metrics.frameStored(frame.durability().name().toLowerCase(Locale.ROOT));
    if (written.flag().isPresent()) {
      FlagRecord created = written.flag().get();
      metrics.flagCreated(created.label());
      events.flagCreated(created);
      answer.put("flag", new JsonObject().put("label", created.label()).put("score", created.score())
          .put("status", created.status().name().toLowerCase(Locale.ROOT)));
    }
    if (key != null) {
      answer.put("idempotencyKey", key);
    }
    return answer;
  }

  /** {@code GET /v1/frames/{frameId}}: the frame's record, its results, and its flag if any. */
  public void frame(RoutingContext ctx) {
    String frameId = ctx.pathParam("frameId");
    try {
      FrameId.parse(frameId);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_frame_id", "not a frame id: {cameraId}.{yyyyMMddTHHmmssSSSZ}.{12 hex}");
    }
    io.executeBlocking(() -> {
      FrameRecord frame = store.frame(frameId);
      JsonObject out = new JsonObject()
          .put("frameId", frame.frameId())
          .put("cameraId", frame.cameraId())
          .put("capturedAt", frame.capturedAt().toString())
          .put("receivedAt", frame.receivedAt().toString())
          .put("contentType", frame.contentType())
          .put("sizeBytes", frame.sizeBytes())
          .put("sha256", frame.sha256())
          .put("key", frame.key())
          .put("thumbnailKey", frame.thumbnailKey())
          .put("durability", frame.durability().name().toLowerCase(Locale.ROOT));
      io.vertx.core.json.JsonArray results = new io.vertx.core.json.JsonArray();
      for (ResultRecord r : store.results(frameId)) {
        results.add(new JsonObject().put("model", r.model()).put("version", r.version())
            .put("classifiedAt", r.classifiedAt().toString())
            .put("result", new JsonObject(r.payload().toString())));
      }
      out.put("results", results);
      try {
        FlagRecord f = store.flag(frameId);
        out.put("flag", new JsonObject().put("label", f.label()).put("score", f.score())
            .put("status", f.status().name().toLowerCase(Locale.ROOT)).put("revision", f.revision()));
      } catch (ObjectNotFoundException none) {
        out.putNull("flag");
      }
      return out;
    }, false).onSuccess(out -> Json.send(ctx, 200, out.put("requestId", RequestLog.requestId(ctx))))
        .onFailure(e -> ctx.fail(e instanceof ObjectNotFoundException
            ? ApiException.notFound("not_found", "no frame " + frameId) : e));
  }

  /** The raw body, or the multipart field {@code frame} (read without blocking). */
  private Future<byte[]> frameBytes(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
      List<FileUpload> uploads = ctx.fileUploads().stream().filter(u -> u.name().equals("frame")).toList();
      if (uploads.isEmpty()) {
        throw ApiException.badRequest("missing_frame_field", "a multipart request must carry the image in the field "
            + "'frame'" + (ctx.fileUploads().isEmpty() ? "" : "; got fields " + ctx.fileUploads().stream()
                .map(u -> "'" + clip(u.name()) + "'").toList()));
      }
      if (uploads.size() > 1) {
        throw ApiException.badRequest("too_many_frames", "send one frame per request");
      }
      FileUpload upload = uploads.get(0);
      if (upload.size() == 0) {
        throw ApiException.badRequest("empty_body", "the field 'frame' is empty; send an image");
      }
      return ctx.vertx().fileSystem().readFile(upload.uploadedFileName()).map(b -> b.getBytes());
    }
    return Future.succeededFuture(Bodies.rawImage(ctx));
  }

  private Instant capturedAt(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    Instant at;
    try {
      at = Instant.parse(header.strip());
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest("invalid_captured_at", "X-Captured-At must be an ISO-8601 instant such as "
          + "2025-06-01T12:00:00Z");
    }
    if (at.isBefore(Instant.EPOCH) || at.isAfter(clock.instant().plus(1, ChronoUnit.DAYS))) {
      throw ApiException.badRequest("invalid_captured_at", "X-Captured-At must be after 1970 and not in the future");
    }
    return at;
  }

  private static String idempotencyKey(String header) {
    if (header == null) {
      return null;
    }
    String key = header.strip();
    if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw ApiException.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1-" + MAX_IDEMPOTENCY_KEY
          + " printable ASCII characters without spaces");
    }
    return key;
  }

  private static String clip(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?");
    return p.length() > 40 ? p.substring(0, 40) : p;
  }

  static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
