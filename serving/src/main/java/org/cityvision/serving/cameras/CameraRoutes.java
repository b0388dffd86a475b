package org.cityvision.serving.cameras;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.camera.CameraId;
import org.cityvision.core.quality.CameraAlert;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.HealthTransition;
import org.cityvision.core.quality.QualityFault;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.http.RequestLog;

/**
 * {@code GET /v1/cameras} (every camera's health, a page at a time), {@code GET
 * /v1/cameras/{cameraId}} (one camera with its recent history and alerts), {@code GET
 * /v1/camera-alerts} (the open alerts: cameras that went degraded, fault or silent) and {@code POST
 * /v1/cameras/{cameraId}/alerts/{alertId}/review} (confirm or dismiss one), for reviewers and
 * admins.
 */
public final class CameraRoutes {
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_NOTE = 2000;
  private static final Pattern ALERT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final CameraHealthService health;
  private final WorkerExecutor io;

  public CameraRoutes(CameraHealthService health, WorkerExecutor io) {
    this.health = health;
    this.io = io;
  }

  /** The camera health area: reviewer (and admin) keys. */
  public ApiArea area() {
    Access reviewers = Access.role(KeyRole.REVIEWER);
    return new ApiArea("camera health")
        .add(HttpMethod.GET, "/v1/cameras", reviewers, this::list)
        .add(HttpMethod.GET, "/v1/cameras/{cameraId}", reviewers, this::get)
        .add(HttpMethod.GET, "/v1/camera-alerts", reviewers, this::alerts)
        .add(
            HttpMethod.POST,
            "/v1/cameras/{cameraId}/alerts/{alertId}/review",
            reviewers,
            this::review);
  }

  /**
   * {@code GET /v1/camera-alerts?limit=&cursor=}: the open alerts of a page of cameras with one,
   * newest first within the page; a page may hold fewer cameras than {@code limit} with a cursor.
   */
  private void alerts(RoutingContext ctx) {
    for (String name : ctx.queryParams().names()) {
      if (!name.equals("limit") && !name.equals("cursor")) {
        throw ApiException.badRequest(
            "invalid_request", "unknown query parameter '" + name + "'; allowed: [cursor, limit]");
      }
    }
    int limit = limit(ctx.request().getParam("limit"));
    String cursor = ctx.request().getParam("cursor");
    io.executeBlocking(() -> health.withOpenAlerts(cursor, limit), false)
        .onSuccess(
            page -> {
              List<JsonObject> open = new ArrayList<>();
              for (CameraState c : page.items()) {
                c.alerts().stream()
                    .filter(CameraAlert::isOpen)
                    .forEach(
                        a ->
                            open.add(
                                alert(c.cameraId(), a)
                                    .put("cameraState", c.condition().wireName())
                                    .put("lastFrameId", c.lastFrameId())));
              }
              open.sort(Comparator.comparing((JsonObject a) -> a.getString("at")).reversed());
              Json.send(
                  ctx,
                  200,
                  new JsonObject()
                      .put("items", new JsonArray(new ArrayList<>(open)))
                      .put("nextCursor", page.nextCursor())
                      .put("requestId", RequestLog.requestId(ctx)));
            })
        .onFailure(
            e ->
                ctx.fail(
                    e instanceof IllegalArgumentException
                        ? ApiException.badRequest(
                            "invalid_cursor", "cursor is not one this API returned")
                        : e));
  }

  /**
   * {@code POST /v1/cameras/{cameraId}/alerts/{alertId}/review} with {@code {"verdict":
   * "confirm"|"dismiss", "note"?}}: 200 the judged alert; 404 unknown camera or alert; 409 already
   * judged.
   */
  private void review(RoutingContext ctx) {
    String cameraId = cameraId(ctx);
    String alertId = ctx.pathParam("alertId");
    if (alertId == null || !ALERT_ID.matcher(alertId).matches()) {
      throw ApiException.badRequest(
          "invalid_request", "alert ids are 1-64 characters of [A-Za-z0-9_-]");
    }
    JsonObject body = Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("verdict") && !field.equals("note")) {
        throw ApiException.badRequest(
            "invalid_request",
            "unknown field '" + field + "' in a camera alert verdict; allowed: verdict, note");
      }
    }
    Object verdictValue = body.getValue("verdict");
    CameraAlert.Status verdict;
    if ("confirm".equals(verdictValue)) {
      verdict = CameraAlert.Status.CONFIRMED;
    } else if ("dismiss".equals(verdictValue)) {
      verdict = CameraAlert.Status.DISMISSED;
    } else {
      throw ApiException.badRequest(
          "invalid_request",
          "verdict must be confirm or dismiss, got "
              + (verdictValue == null ? "nothing" : "'" + verdictValue + "'"));
    }
    Object noteValue = body.getValue("note");
    if (noteValue != null && !(noteValue instanceof String)) {
      throw ApiException.badRequest("invalid_request", "note must be a string");
    }
    String note = (String) noteValue;
    if (note != null && note.length() > MAX_NOTE) {
      throw ApiException.badRequest(
          "invalid_request",
          "note must be at most " + MAX_NOTE + " characters, got " + note.length());
    }
    String reviewer = Authenticator.principal(ctx).name();
    io.executeBlocking(() -> health.judge(cameraId, alertId, verdict, reviewer, note), false)
        .onSuccess(
            a ->
                Json.send(ctx, 200, alert(cameraId, a).put("requestId", RequestLog.requestId(ctx))))
        .onFailure(ctx::fail);
  }

  /**
   * The path's camera id, or a 400 {@code invalid_camera_id} (thrown; the failure handler answers).
   */
  private static String cameraId(RoutingContext ctx) {
    String cameraId = ctx.pathParam("cameraId");
    if (!CameraId.isValid(cameraId)) {
      throw ApiException.badRequest("invalid_camera_id", "camera ids are " + CameraId.RULE);
    }
    return cameraId;
  }

  /** An alert as the API and the page show it. */
  public static JsonObject alert(String cameraId, CameraAlert a) {
    return new JsonObject()
        .put("cameraId", cameraId)
        .put("alertId", a.alertId())
        .put("at", a.at().toString())
        .put("from", a.from().wireName())
        .put("to", a.to().wireName())
        .put("faults", faults(a.faults()))
        .put("frameId", a.frameId())
        .put("status", a.status().wireName())
        .put("reviewer", a.reviewer())
        .put("reviewedAt", text(a.reviewedAt()))
        .put("note", a.note());
  }

  /** {@code GET /v1/cameras?limit=&cursor=}. */
  private void list(RoutingContext ctx) {
    int limit = limit(ctx.request().getParam("limit"));
    String cursor = ctx.request().getParam("cursor");
    io.executeBlocking(() -> health.cameras(cursor, limit), false)
        .onSuccess(
            page -> {
              JsonArray items = new JsonArray();
              page.items().forEach(c -> items.add(summary(c)));
              Json.send(
                  ctx,
                  200,
                  new JsonObject()
                      .put("items", items)
                      .put("nextCursor", page.nextCursor())
                      .put("requestId", RequestLog.requestId(ctx)));
            })
        .onFailure(
            e ->
                ctx.fail(
                    e instanceof IllegalArgumentException
                        ? ApiException.badRequest(
                            "invalid_cursor", "cursor is not one this API returned")
                        : e));
  }

  /** {@code GET /v1/cameras/{cameraId}}. */
  private void get(RoutingContext ctx) {
    String cameraId = cameraId(ctx);
    io.executeBlocking(() -> health.camera(cameraId), false)
        .map(
            found ->
                found.orElseThrow(
                    () ->
                        ApiException.notFound(
                            "not_found", "camera " + cameraId + " has sent no frame")))
        .onSuccess(
            c -> {
              JsonObject out = summary(c);
              out.put("silentAfterSeconds", c.silentAfter(health.config()).toSeconds());
              out.put("lastCapturedAt", text(c.lastCapturedAt()));
              out.put("baselineFrames", c.baseline().frames());
              out.put(
                  "reuseFrom", c.lastClassified() == null ? null : c.lastClassified().frameId());
              JsonArray history = new JsonArray();
              for (HealthTransition t : c.history()) {
                history.add(
                    new JsonObject()
                        .put("at", t.at().toString())
                        .put("from", t.from().wireName())
                        .put("to", t.to().wireName())
                        .put("faults", faults(t.faults())));
              }
              out.put("history", history);
              JsonArray alerts = new JsonArray();
              c.alerts().forEach(a -> alerts.add(alert(c.cameraId(), a)));
              out.put("alerts", alerts);
              out.put("acceptedFaults", faults(List.copyOf(c.accepted())));
              Json.send(ctx, 200, out.put("requestId", RequestLog.requestId(ctx)));
            })
        .onFailure(ctx::fail);
  }

  /** The fields both routes and the webhook events show. */
  public static JsonObject summary(CameraState c) {
    JsonObject faults = new JsonObject();
    c.faults().forEach((f, since) -> faults.put(f.wireName(), since.toString()));
    Optional<Duration> median = Optional.ofNullable(c.medianInterval());
    return new JsonObject()
        .put("cameraId", c.cameraId())
        .put("state", c.condition().wireName())
        .put("stateSince", c.conditionSince().toString())
        .put("faults", faults)
        .put("lastFrameAt", text(c.lastReceivedAt()))
        .put("lastFrameFaults", faults(c.lastFaults()))
        .put("medianIntervalSeconds", median.map(d -> d.toMillis() / 1000.0).orElse(null))
        .put("frames", c.frames())
        .put("openAlerts", c.alerts().stream().filter(CameraAlert::isOpen).count());
  }

  private static JsonArray faults(List<QualityFault> faults) {
    JsonArray out = new JsonArray();
    faults.forEach(f -> out.add(f.wireName()));
    return out;
  }

  private static String text(Instant at) {
    return at == null ? null : at.toString();
  }

  private static int limit(String value) {
    if (value == null) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= 1000) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiException.badRequest(
        "invalid_limit", "limit must be an integer in 1..1000, got '" + value + "'");
  }
}
