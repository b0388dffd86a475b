package org.cityvision.serving.cameras;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Optional;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.HealthTransition;
import org.cityvision.core.quality.QualityFault;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.http.RequestLog;

/**
 * {@code GET /v1/cameras} (every camera's health, a page at a time) and {@code GET
 * /v1/cameras/{cameraId}} (one camera with its recent history), for reviewers and admins.
 */
public final class CameraRoutes {
  private static final int DEFAULT_LIMIT = 100;

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
        .add(HttpMethod.GET, "/v1/cameras/{cameraId}", reviewers, this::get);
  }

  /** {@code GET /v1/cameras?limit=&cursor=}. */
  private void list(RoutingContext ctx) {
    int limit = limit(ctx.request().getParam("limit"));
    String cursor = ctx.request().getParam("cursor");
    io.executeBlocking(() -> health.cameras(cursor, limit), false).onSuccess(page -> {
      JsonArray items = new JsonArray();
      page.items().forEach(c -> items.add(summary(c)));
      Json.send(ctx, 200, new JsonObject().put("items", items).put("nextCursor", page.nextCursor())
          .put("requestId", RequestLog.requestId(ctx)));
    }).onFailure(e -> ctx.fail(e instanceof IllegalArgumentException
        ? ApiException.badRequest("invalid_cursor", "cursor is not one this API returned") : e));
  }

  /** {@code GET /v1/cameras/{cameraId}}. */
  private void get(RoutingContext ctx) {
    String cameraId = ctx.pathParam("cameraId");
    if (cameraId == null || !IngestConfig.CAMERA_ID.matcher(cameraId).matches()) {
      throw ApiException.badRequest("invalid_camera_id", "camera ids are 1-64 characters of [A-Za-z0-9_-]");
    }
    io.executeBlocking(() -> health.camera(cameraId), false).map(found -> found.orElseThrow(() ->
        ApiException.notFound("not_found", "camera " + cameraId + " has sent no frame"))).onSuccess(c -> {
      JsonObject out = summary(c);
      out.put("silentAfterSeconds", c.silentAfter(health.config()).toSeconds());
      out.put("lastCapturedAt", text(c.lastCapturedAt()));
      out.put("baselineFrames", c.baseline().frames());
      out.put("reuseFrom", c.lastClassified() == null ? null : c.lastClassified().frameId());
      JsonArray history = new JsonArray();
      for (HealthTransition t : c.history()) {
        history.add(new JsonObject().put("at", t.at().toString()).put("from", t.from().wireName())
            .put("to", t.to().wireName()).put("faults", faults(t.faults())));
      }
      out.put("history", history);
      Json.send(ctx, 200, out.put("requestId", RequestLog.requestId(ctx)));
    }).onFailure(ctx::fail);
  }

  /** The fields both routes and the webhook events show. */
  public static JsonObject summary(CameraState c) {
    JsonObject faults = new JsonObject();
    c.faults().forEach((f, since) -> faults.put(f.wireName(), since.toString()));
    Optional<java.time.Duration> median = Optional.ofNullable(c.medianInterval());
    return new JsonObject()
        .put("cameraId", c.cameraId())
        .put("state", c.condition().wireName())
        .put("stateSince", c.conditionSince().toString())
        .put("faults", faults)
        .put("lastFrameAt", text(c.lastReceivedAt()))
        .put("lastFrameFaults", faults(c.lastFaults()))
        .put("medianIntervalSeconds", median.map(d -> d.toMillis() / 1000.0).orElse(null))
        .put("frames", c.frames());
  }

  private static JsonArray faults(java.util.List<QualityFault> faults) {
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
    throw ApiException.badRequest("invalid_limit", "limit must be an integer in 1..1000, got '" + value + "'");
  }

}
