package org.cityvision.serving.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.cache.BoundedMap;
import org.cityvision.core.camera.CameraId;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassifiedFrames;
import org.cityvision.core.classify.FlagPolicy;
import org.cityvision.core.classify.PreparedImage;
import org.cityvision.core.classify.Timings;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageHeaders;
import org.cityvision.core.model.Task;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.auth.Principal;
import org.cityvision.serving.cameras.CameraHealthService;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.config.StaticFrames;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.BodyLimit;
import org.cityvision.serving.http.ErrorMapper;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.inference.AdmissionGate;
import org.cityvision.serving.inference.Answers;
import org.cityvision.serving.inference.Bodies;
import org.cityvision.serving.inference.Inference;
import org.cityvision.serving.inference.InferenceService;
import org.cityvision.serving.inference.ServedModel;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.metrics.Metrics;

/**
 * {@code POST /v1/cameras/{cameraId}/frames}: camera frames in. (A frame's metadata, results and
 * flag are read at {@code GET /v1/frames/{frameId}}, in the review area.)
 *
 * <p>A frame is validated (camera id, capture time, body type and magic bytes), quality-checked and
 * applied to its camera's health ({@link CameraHealthService}), classified with the urban model off
 * the event loop, then stored with its thumbnail, flag and result through {@link ClassifiedFrames},
 * the write path batch jobs use too: flagged when an issue class passes its threshold ({@link
 * FlagPolicy}), listeners told of the flag. A static frame (nothing new since its camera's last
 * fault-free classified frame, within {@code ingest.reuseForSeconds}) is stored with that frame's
 * result instead of a forward pass. With an {@code Idempotency-Key}, retries on any node get the
 * first answer ({@link IdempotencyLedger}).
 */
public final class FrameRoutes {
  /** The task camera frames are classified with. */
  public static final String TASK = Task.URBAN.id();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_IDEMPOTENCY_KEY = 128;

  /** The store keeps JPEG and PNG frames only. */
  private static final Set<ImageFormat> STORED_FORMATS =
      EnumSet.of(ImageFormat.JPEG, ImageFormat.PNG);

  /**
   * The largest body a frame refused before its body is read and dropped so that its connection
   * stays open (a 1080p JPEG is 0.2-1 MB); a larger one is not read and its connection is closed.
   */
  static final long DRAIN_LIMIT = 2L << 20;

  private final IngestConfig config;
  private final InferenceService inference;
  private final IdempotencyLedger ledger;
  private final WorkerExecutor io;
  private final Metrics metrics;
  private final Clock clock;
  private final ClassifiedFrames writes;
  private final CameraHealthService health;

  /** Frames of cameras whose last frame here took a forward pass (or of new cameras). */
  private final AdmissionGate admitted;

  /** Frames of cameras whose last frame here reused its camera's result: the cheap lane. */
  private final AdmissionGate staticLane;

  /** Cameras whose last frame answered here reused a result, the newest {@value #LANES} kept. */
  private final BoundedMap<String, Boolean> lastReused = new BoundedMap<>(LANES);

  static final int LANES = 100_000;

  /**
   * @param writes stores a classified frame and tells its listener of the flag (webhooks, Open311)
   * @param health the quality check and camera health every frame goes through first
   */
  public FrameRoutes(
      IngestConfig config,
      InferenceService inference,
      IdempotencyLedger ledger,
      WorkerExecutor io,
      Metrics metrics,
      Clock clock,
      ClassifiedFrames writes,
      CameraHealthService health) {
    this.config = config;
    this.inference = inference;
    this.ledger = ledger;
    this.io = io;
    this.metrics = metrics;
    this.clock = clock;
    this.writes = writes;
    this.health = health;
    this.admitted = new AdmissionGate(config.maxInFlight());
    this.staticLane = new AdmissionGate(config.maxInFlight());
  }

  /** The cameras' area: camera keys. */
  public ApiArea area() {
    return new ApiArea("cameras")
        .add(
            HttpMethod.POST,
            "/v1/cameras/{cameraId}/frames",
            Access.role(KeyRole.CAMERA),
            this::refuseWhenFull,
            this::ingest);
  }

  /**
   * Before the body: when the camera's {@linkplain #lane lane} holds {@code ingest.maxInFlight}
   * frames, the node refuses the next at once. A client that sent {@code Expect: 100-continue}
   * never sends the body. A body already on its way of at most {@link #DRAIN_LIMIT} bytes (a frame
   * of a usual camera) is read and dropped and the answer keeps the connection open: closing on a
   * client still writing makes its request fail with a reset instead of this 503, and the camera's
   * next frame would pay a new connection. A larger or chunked body is not read: the connection is
   * closed after the answer. A frame that gets past this may still be refused by {@link #ingest} if
   * the node filled up while its body came.
   */
  private void refuseWhenFull(RoutingContext ctx) {
    String cameraId = ctx.pathParam("cameraId");
    if (!lane(cameraId).full()) {
      ctx.next();
      return;
    }
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      ctx.fail(overloaded());
      return;
    }
    long length = BodyLimit.declaredLength(request);
    boolean asksFirst = "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
    if (!asksFirst && length >= 0 && length <= DRAIN_LIMIT) {
      ApiException refusal = overloaded();
      request.handler(chunk -> {}).exceptionHandler(e -> {}).endHandler(v -> ctx.fail(refusal));
      request.resume();
      return;
    }
    ctx.response().putHeader("Connection", "close");
    ctx.fail(overloaded());
  }

  private ApiException overloaded() {
    metrics.overloaded("ingest");
    return new ApiException(
        503,
        "overloaded",
        "this node is processing "
            + config.maxInFlight()
            + " frames (ingest.maxInFlight); retry after the Retry-After delay or on another node",
        1);
  }

  /** {@code POST /v1/cameras/{cameraId}/frames}. */
  public void ingest(RoutingContext ctx) {
    String cameraId = ctx.pathParam("cameraId");
    if (!CameraId.isValid(cameraId)) {
      throw ApiException.badRequest("invalid_camera_id", "camera ids are " + CameraId.RULE);
    }
    if (!config.accepts(cameraId)) {
      throw new ApiException(
          403, "unknown_camera", "camera '" + cameraId + "' is not registered on this system");
    }
    Principal caller = Authenticator.principal(ctx);
    if (caller != null && !caller.cameras().allows(cameraId)) {
      throw new ApiException(
          403,
          "camera_not_allowed",
          "key '"
              + caller.name()
              + "' may post only as "
              + caller.cameras().describe()
              + ", not as camera '"
              + cameraId
              + "'");
    }
    Instant capturedAt = capturedAt(ctx.request().getHeader("X-Captured-At"));
    String idempotencyKey = idempotencyKey(ctx.request().getHeader("Idempotency-Key"));
    ServedModel model = inference.model(TASK);
    AdmissionGate lane = lane(cameraId);
    if (!lane.tryEnter()) {
      throw overloaded();
    }
    Future<byte[]> body;
    try {
      body = frameBytes(ctx);
    } catch (RuntimeException e) {
      lane.leave();
      throw e;
    }
    body.compose(
            bytes -> {
              if (idempotencyKey == null) {
                return process(model, cameraId, capturedAt, bytes, null, null)
                    .map(answer -> new Outcome(answer, false));
              }
              String bodyHash = Sha256.hex(bytes);
              // The frame id is fixed before anything is written and recorded in the claim, so that
              // a retry
              // of this request, here or on another node, after a crash, stores under the same id.
              FrameId planned =
                  FrameId.generate(cameraId, capturedAt != null ? capturedAt : clock.instant());
              return io.executeBlocking(
                      () -> ledger.claim(cameraId, idempotencyKey, bodyHash, planned), false)
                  .compose(
                      claim -> {
                        if (!claim.owned()) {
                          metrics.idempotentReplay();
                          return Future.succeededFuture(
                              new Outcome(new JsonObject(claim.answer().toString()), true));
                        }
                        if (claim.takeover()) {
                          metrics.idempotentTakeover();
                          JsonLog.get()
                              .info(
                                  "idempotency_takeover",
                                  "cameraId",
                                  cameraId,
                                  "frameId",
                                  claim.frameId().value());
                        }
                        return process(
                                model, cameraId, capturedAt, bytes, idempotencyKey, claim.frameId())
                            .transform(
                                ar ->
                                    io.executeBlocking(
                                        () -> {
                                          if (ar.succeeded()) {
                                            ledger.done(
                                                claim,
                                                bodyHash,
                                                JSON.readTree(ar.result().encode()));
                                            return new Outcome(ar.result(), false);
                                          }
                                          ApiException e = ErrorMapper.map(ar.cause(), -1);
                                          ledger.failed(claim, bodyHash, e.status(), e.code());
                                          throw ar.cause() instanceof Exception ex
                                              ? ex
                                              : new IllegalStateException(ar.cause());
                                        },
                                        false));
                      });
            })
        .onSuccess(
            outcome -> {
              ctx.response()
                  .putHeader("Location", "/v1/frames/" + outcome.answer().getString("frameId"));
              if (outcome.replayed()) {
                ctx.response().putHeader("Idempotent-Replayed", "true");
              }
              Json.send(ctx, 201, outcome.answer());
            })
        .onFailure(ctx::fail)
        .onComplete(
            done -> {
              lane.leave();
              if (done.succeeded()) {
                lastReused.put(
                    cameraId, done.result().answer().getBoolean("reused", Boolean.FALSE));
              }
            });
  }

  private record Outcome(JsonObject answer, boolean replayed) {}

  /**
   * The admission lane of a camera's next frame: a camera whose last frame here reused its result
   * most likely sends another static frame, which costs a fraction of a classified one, so such
   * frames have {@code ingest.maxInFlight} places of their own and keep coming through while frames
   * waiting for the model fill the other lane. A guess only: a frame that turns out to need the
   * model is classified all the same (the model's own limit, {@code inference.maxInFlight}, still
   * applies), and the next frame of its camera goes to the other lane.
   */
  private AdmissionGate lane(String cameraId) {
    return Boolean.TRUE.equals(lastReused.get(cameraId)) ? staticLane : admitted;
  }

  /**
   * Quality check and camera health first (I/O threads: a 1/8-scale decode and the camera's
   * record); a static frame reuses its camera's last result of the version serving now (thumbnail
   * on the decode threads, no forward pass), any other is classified (decode threads, model queue);
   * then stored (I/O threads) under {@code frameId} if given, else under an id fixed here.
   */
  private Future<JsonObject> process(
      ServedModel model,
      String cameraId,
      Instant capturedAt,
      byte[] bytes,
      String idempotencyKey,
      FrameId frameId) {
    Instant receivedAt = clock.instant();
    // Fixed before the health check, so that an alert this frame raises points to where it is
    // stored.
    FrameId id =
        frameId != null
            ? frameId
            : FrameId.generate(cameraId, capturedAt != null ? capturedAt : receivedAt);
    return io.executeBlocking(
            () ->
                health.observe(cameraId, bytes, STORED_FORMATS, id.value(), capturedAt, receivedAt),
            false)
        .compose(
            seen -> {
              Future<Optional<ResultRecord>> reusable =
                  seen.update()
                      .reuse()
                      .map(
                          from ->
                              io.executeBlocking(
                                  () ->
                                      writes.reusable(
                                          from.frameId(), model.spec().name(), model.version()),
                                  false))
                      .orElse(Future.succeededFuture(Optional.empty()));
              return reusable
                  .compose(
                      earlier -> {
                        if (earlier.isPresent() && config.staticFrames() == StaticFrames.METADATA) {
                          return io.executeBlocking(
                              () ->
                                  storeReused(
                                      cameraId,
                                      capturedAt,
                                      bytes,
                                      null,
                                      earlier.get(),
                                      idempotencyKey,
                                      id),
                              false);
                        }
                        if (earlier.isPresent()) {
                          return inference
                              .prepare(
                                  model,
                                  bytes,
                                  config.thumbnailMaxSide(),
                                  config.thumbnailQuality(),
                                  STORED_FORMATS)
                              .compose(
                                  prepared ->
                                      io.executeBlocking(
                                          () ->
                                              storeReused(
                                                  cameraId,
                                                  capturedAt,
                                                  bytes,
                                                  prepared,
                                                  earlier.get(),
                                                  idempotencyKey,
                                                  id),
                                          false));
                        }
                        return inference
                            .classify(
                                model,
                                bytes,
                                config.thumbnailMaxSide(),
                                config.thumbnailQuality(),
                                STORED_FORMATS)
                            .compose(
                                result ->
                                    io.executeBlocking(
                                        () -> {
                                          JsonObject answer =
                                              store(
                                                  cameraId,
                                                  capturedAt,
                                                  bytes,
                                                  result,
                                                  idempotencyKey,
                                                  id);
                                          if (seen.update().faults().isEmpty()
                                              && seen.recorded()
                                              && !seen.reference()) {
                                            health.classified(
                                                cameraId,
                                                seen.analysis(),
                                                answer.getString("frameId"));
                                          }
                                          inference.answered(
                                              result, bytes, answer.getString("frameId"));
                                          return answer;
                                        },
                                        false));
                      })
                  .map(answer -> withQuality(answer, seen));
            });
  }

  /**
   * The answer's {@code quality}: the faults this frame shows, and whether it showed nothing new.
   */
  private static JsonObject withQuality(JsonObject answer, CameraHealthService.Observation seen) {
    JsonArray faults = new JsonArray();
    seen.update().faults().forEach(f -> faults.add(f.wireName()));
    return answer.put(
        "quality", new JsonObject().put("faults", faults).put("static", seen.update().isStatic()));
  }

  /**
   * A static frame: stored with its thumbnail ({@code prepared}), or as its record only when {@code
   * prepared} is null ({@code ingest.staticFrames = metadata}), and its camera's last result
   * ({@code earlier}), no forward pass; the answer says where the result came from.
   */
  private JsonObject storeReused(
      String cameraId,
      Instant capturedAt,
      byte[] bytes,
      PreparedImage prepared,
      ResultRecord earlier,
      String key,
      FrameId frameId)
      throws Exception {
    // The quality check already read the magic bytes and refused other formats.
    ImageFormat format = prepared != null ? prepared.header().format() : ImageHeaders.sniff(bytes);
    String contentType = format == ImageFormat.PNG ? "image/png" : "image/jpeg";
    FrameRecord frame =
        writes.storeReused(
            new FrameUpload(
                cameraId,
                capturedAt,
                contentType,
                bytes,
                prepared == null ? null : prepared.thumbnail(),
                frameId),
            earlier,
            clock.instant(),
            prepared != null);
    health.reusedStored();
    metrics.frameStored(frame.durability().name().toLowerCase(Locale.ROOT));
    JsonObject result = new JsonObject(earlier.payload().toString());
    JsonObject answer =
        stored(frame)
            .put(
                "classification",
                new JsonObject()
                    .put("label", result.getString("label"))
                    .put("score", result.getDouble("score"))
                    .put("top", result.getJsonArray("top", new JsonArray()))
                    .put("model", earlier.model())
                    .put("version", earlier.version()))
            .put("flagged", false)
            .put("reused", true)
            .put("reusedFrom", earlier.frameId());
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
        .put("durability", frame.durability().name().toLowerCase(Locale.ROOT))
        .put("imageKept", frame.imageKept());
  }

  private JsonObject store(
      String cameraId,
      Instant capturedAt,
      byte[] bytes,
      Inference result,
      String key,
      FrameId frameId)
      throws Exception {
    Classification c = result.classification();
    String contentType = result.header().format() == ImageFormat.PNG ? "image/png" : "image/jpeg";
    Instant now = clock.instant();
    // The one stored result format, the same as batch jobs and the Spark job write.
    Classification stored =
        c.withTimings(
            new Timings(result.decodeNanos(), 0, result.queueNanos(), result.inferenceNanos()));
    ClassifiedFrames.Written written =
        writes.storeNew(
            new FrameUpload(cameraId, capturedAt, contentType, bytes, result.thumbnail(), frameId),
            stored,
            new FlagPolicy(result.model().spec().thresholds()),
            now);
    FrameRecord frame = written.frame();
    // An audit item is a question to reviewers, not an issue the camera's integrator should act on.
    Optional<FlagRecord> issue = written.flag().filter(f -> !FlagRecord.AUDIT.equals(f.reason()));
    JsonObject answer =
        stored(frame)
            .put("classification", Answers.classification(c))
            .put("flagged", issue.isPresent());
    metrics.frameStored(frame.durability().name().toLowerCase(Locale.ROOT));
    if (issue.isPresent()) {
      FlagRecord created = issue.get();
      answer.put(
          "flag",
          new JsonObject()
              .put("label", created.label())
              .put("score", created.score())
              .put("status", created.status().name().toLowerCase(Locale.ROOT)));
    }
    if (key != null) {
      answer.put("idempotencyKey", key);
    }
    return answer;
  }

  /** The raw body, or the multipart field {@code frame} (read without blocking). */
  private Future<byte[]> frameBytes(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
      List<FileUpload> uploads =
          ctx.fileUploads().stream().filter(u -> u.name().equals("frame")).toList();
      if (uploads.isEmpty()) {
        throw ApiException.badRequest(
            "missing_frame_field",
            "a multipart request must carry the image in the field "
                + "'frame'"
                + (ctx.fileUploads().isEmpty()
                    ? ""
                    : "; got fields "
                        + ctx.fileUploads().stream()
                            .map(u -> "'" + clip(u.name()) + "'")
                            .toList()));
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
      throw ApiException.badRequest(
          "invalid_captured_at",
          "X-Captured-At must be an ISO-8601 instant such as " + "2025-06-01T12:00:00Z");
    }
    if (at.isBefore(Instant.EPOCH) || at.isAfter(clock.instant().plus(1, ChronoUnit.DAYS))) {
      throw ApiException.badRequest(
          "invalid_captured_at", "X-Captured-At must be after 1970 and not in the future");
    }
    return at;
  }

  private static String idempotencyKey(String header) {
    if (header == null) {
      return null;
    }
    String key = header.strip();
    if (key.isEmpty()
        || key.length() > MAX_IDEMPOTENCY_KEY
        || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw ApiException.badRequest(
          "invalid_idempotency_key",
          "Idempotency-Key must be 1-"
              + MAX_IDEMPOTENCY_KEY
              + " printable ASCII characters without spaces");
    }
    return key;
  }

  private static String clip(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?");
    return p.length() > 40 ? p.substring(0, 40) : p;
  }
}
