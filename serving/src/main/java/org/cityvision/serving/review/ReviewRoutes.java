package org.cityvision.serving.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FlagOrder;
import org.cityvision.core.storage.FlagQuery;
import org.cityvision.core.storage.FlagRecord;
import org.cityvision.core.storage.FlagStatus;
import org.cityvision.core.storage.FrameData;
import org.cityvision.core.storage.FrameId;
import org.cityvision.serving.http.ApiException;
import org.cityvision.core.storage.FrameRecord;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.ResultRecord;
import org.cityvision.core.storage.ReviewRecord;
import org.cityvision.core.storage.StorageException;

/**
 * The review API (see {@code docs/REVIEW.md}): the queue with filters, orders and cursors; frame
 * detail, image and thumbnail; verdicts, single and bulk; the audit log; counts per status.
 *
 * <p>Every route needs a {@code reviewer} or {@code admin} key. Every store call runs on {@link
 * ReviewDeps#worker()}; handlers only compose futures.
 */
public final class ReviewRoutes {
  /** A bulk request judges at most this many flags. */
  public static final int MAX_BULK = 500;
  /** The largest page of the queue: each flag returned costs two store requests. */
  public static final int MAX_PAGE = 200;

  private static final long BODY_LIMIT = 1L << 20;
  private static final Set<String> LIST_PARAMS =
      Set.of("status", "cameraId", "label", "since", "until", "order", "cursor", "limit");

  /** Every route {@link #mount} adds, as {@code "METHOD /path/{param}"} (for the API's route list). */
  public static final List<String> ENDPOINTS = List.of(
      "GET /v1/review/session",
      "GET /v1/flags/counts",
      "GET /v1/flags/recent",
      "POST /v1/flags/review",
      "GET /v1/flags",
      "POST /v1/flags/{frameId}/review",
      "GET /v1/frames/{frameId}",
      "GET /v1/frames/{frameId}/image",
      "GET /v1/frames/{frameId}/thumbnail",
      "GET /v1/reviews");

  private final ReviewDeps deps;

  private ReviewRoutes(ReviewDeps deps) {
    this.deps = deps;
  }

  /**
   * Adds the review API's routes to {@code router}, each behind {@code deps.auth()} with the roles
   * reviewer and admin, with {@link ReviewErrors} as their failure handler.
   */
  public static void mount(Router router, ReviewDeps deps) {
    ReviewRoutes routes = new ReviewRoutes(deps);
    Handler<RoutingContext> auth = deps.auth().require(EnumSet.of(KeyRole.REVIEWER, KeyRole.ADMIN));
    Handler<RoutingContext> body =
        BodyHandler.create(false).setBodyLimit(BODY_LIMIT).setHandleFileUploads(false);
    ReviewErrors errors = new ReviewErrors();
    for (String path : List.of("/v1/flags", "/v1/flags/*", "/v1/frames/*", "/v1/reviews", "/v1/review/*")) {
      router.route(path).failureHandler(errors);
    }
    router.get("/v1/review/session").handler(auth).handler(routes::session);
    router.get("/v1/flags/counts").handler(auth).handler(routes::counts);
    router.get("/v1/flags/recent").handler(auth).handler(routes::recent);
    router.post("/v1/flags/review").handler(body).handler(auth).handler(routes::reviewBulk);
    router.get("/v1/flags").handler(auth).handler(routes::list);
    router.post("/v1/flags/:frameId/review").handler(body).handler(auth).handler(routes::review);
    router.get("/v1/frames/:frameId").handler(auth).handler(routes::frame);
    router.get("/v1/frames/:frameId/image").handler(auth).handler(routes::image);
    router.get("/v1/frames/:frameId/thumbnail").handler(auth).handler(routes::thumbnail);
    router.get("/v1/reviews").handler(auth).handler(routes::reviews);
  }

  // ------------------------------------------------------------------ handlers

  private void session(RoutingContext ctx) {
    ObjectNode out = ReviewJson.MAPPER.createObjectNode();
    out.put("reviewer", deps.auth().principal(ctx));
    ArrayNode labels = out.putArray("labels");
    deps.labels().forEach(labels::add);
    ArrayNode statuses = out.putArray("statuses");
    for (FlagStatus s : FlagStatus.values()) {
      statuses.add(s.keyName());
    }
    json(ctx, 200, out);
  }

  private void list(RoutingContext ctx) {
    FlagQuery query;
    try {
      query = flagQuery(ctx.queryParams());
    } catch (IllegalArgumentException e) {
      ctx.fail(e);
      return;
    }
    blocking(() -> deps.store().listFlags(query))
        .onSuccess(page -> json(ctx, 200, flagPage(page.items(), page.nextCursor())))
        .onFailure(ctx::fail);
  }

  private void counts(RoutingContext ctx) {
    List<Future<FlagCount>> counts = new ArrayList<>();
    for (FlagStatus s : FlagStatus.values()) {
      counts.add(blocking(() -> deps.counter().count(s)));
    }
    Future.all(counts)
        .onSuccess(all -> {
          ObjectNode out = ReviewJson.MAPPER.createObjectNode();
          for (FlagStatus s : FlagStatus.values()) {
            FlagCount c = all.resultAt(s.ordinal());
            out.putObject(s.keyName()).put("count", c.count()).put("atLeast", c.atLeast());
          }
          json(ctx, 200, out);
        })
        .onFailure(ctx::fail);
  }

  /** The newest flags of one camera across every status: the detail view's camera history. */
  private void recent(RoutingContext ctx) {
    String cameraId;
    int limit;
    try {
      allowOnly(ctx.queryParams(), Set.of("cameraId", "limit"));
      cameraId = ctx.queryParams().get("cameraId");
      if (cameraId == null) {
        throw new IllegalArgumentException("cameraId is required");
      }
      limit = intParam(ctx.queryParams(), "limit", 10, 1, 50);
      new FlagQuery(FlagStatus.OPEN, cameraId, null, null, null, FlagOrder.NEWEST_FIRST, null, limit);
    } catch (IllegalArgumentException e) {
      ctx.fail(e);
      return;
    }
    List<Future<Page<FlagRecord>>> pages = new ArrayList<>();
    for (FlagStatus s : FlagStatus.values()) {
      FlagQuery q = new FlagQuery(s, cameraId, null, null, null, FlagOrder.NEWEST_FIRST, null, limit);
      pages.add(blocking(() -> deps.store().listFlags(q)));
    }
    Future.all(pages)
        .onSuccess(all -> {
          List<FlagRecord> merged = new ArrayList<>();
          for (int i = 0; i < pages.size(); i++) {
            merged.addAll(all.<Page<FlagRecord>>resultAt(i).items());
          }
          merged.sort(Comparator.comparing(FlagRecord::flaggedAt).reversed()
              .thenComparing(FlagRecord::frameId));
          json(ctx, 200, flagPage(merged.subList(0, Math.min(limit, merged.size())), null));
        })
        .onFailure(ctx::fail);
  }

  private void review(RoutingContext ctx) {
    VerdictRequest request;
    String reviewer;
    try {
      request = VerdictRequest.parse(body(ctx.body()), ctx.pathParam("frameId"), deps.labels());
      reviewer = deps.auth().principal(ctx);
      request.review(reviewer);
    } catch (IllegalArgumentException e) {
      ctx.fail(e);
      return;
    }
    blocking(() -> deps.store().reviewFlag(request.review(reviewer)))
        .onSuccess(flag -> {
          reviewed(flag);
          json(ctx, 200, ReviewJson.flag(flag));
        })
        .onFailure(ctx::fail);
  }

  /**
   * Judges several flags: all items are validated first (a bad item fails the whole request with
   * 400 and judges nothing); then each is judged on its own, and each item's outcome is reported
   * with the status a single request would have had (200, 404 or 409).
   */
  private void reviewBulk(RoutingContext ctx) {
    List<VerdictRequest> items = new ArrayList<>();
    String reviewer;
    try {
      JsonNode body = body(ctx.body());
      if (!body.isObject() || !body.path("items").isArray() || body.size() != 1) {
        throw new IllegalArgumentException("a bulk review is {\"items\": [...]}");
      }
      JsonNode array = body.get("items");
      if (array.isEmpty() || array.size() > MAX_BULK) {
        throw new IllegalArgumentException("items must hold 1.." + MAX_BULK + " verdicts, got " + array.size());
      }
      reviewer = deps.auth().principal(ctx);
      for (int i = 0; i < array.size(); i++) {
        try {
          VerdictRequest item = VerdictRequest.parse(array.get(i), null, deps.labels());
          item.review(reviewer);
          items.add(item);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("items[" + i + "]: " + e.getMessage(), e);
        }
      }
    } catch (IllegalArgumentException e) {
      ctx.fail(e);
      return;
    }
    blocking(() -> {
          ArrayNode results = ReviewJson.MAPPER.createArrayNode();
          int ok = 0;
          for (VerdictRequest item : items) {
            ObjectNode r = results.addObject().put("frameId", item.frameId());
            try {
              FlagRecord flag = deps.store().reviewFlag(item.review(reviewer));
              reviewed(flag);
              r.put("status", 200).set("flag", ReviewJson.flag(flag));
              ok++;
            } catch (ObjectNotFoundException e) {
              r.put("status", 404).set("error", itemError("not_found", e));
            } catch (ConflictException e) {
              r.put("status", 409).set("error", itemError("conflict", e));
            }
          }
          ObjectNode out = ReviewJson.MAPPER.createObjectNode();
          out.put("succeeded", ok).put("failed", items.size() - ok).set("results", results);
          return out;
        })
        .onSuccess(out -> json(ctx, 200, out))
        .onFailure(ctx::fail);
  }

  private void frame(RoutingContext ctx) {
    String frameId = frameId(ctx);
    Future<FrameRecord> frame = blocking(() -> deps.store().frame(frameId));
    Future<FlagRecord> flag = blocking(() -> {
      try {
        return deps.store().flag(frameId);
      } catch (ObjectNotFoundException e) {
        return null;
      }
    });
    Future<List<ResultRecord>> results = blocking(() -> deps.store().results(frameId));
    Future.all(frame, flag, results)
        .onSuccess(all -> {
          // The frame's fields at the top, as the ingest engineer's first version of this route had.
          ObjectNode out = ReviewJson.frame(frame.result());
          out.set("flag", flag.result() == null ? null : ReviewJson.flag(flag.result()));
          ArrayNode list = out.putArray("results");
          results.result().forEach(r -> list.add(ReviewJson.result(r)));
          json(ctx, 200, out);
        })
        .onFailure(ctx::fail);
  }

  /** The path's frame id, or a 400 {@code invalid_frame_id} (thrown; the failure handler answers). */
  private static String frameId(RoutingContext ctx) {
    try {
      return FrameId.parse(ctx.pathParam("frameId")).value();
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_frame_id", e.getMessage());
    }
  }

  private void image(RoutingContext ctx) {
    String frameId = frameId(ctx);
    blocking(() -> deps.store().readFrame(frameId))
        .onSuccess(data -> bytes(ctx, data.record().contentType(), data))
        .onFailure(ctx::fail);
  }

  private void thumbnail(RoutingContext ctx) {
    String frameId = frameId(ctx);
    blocking(() -> deps.store().readThumbnail(frameId))
        .onSuccess(thumb -> ctx.response()
            .putHeader("Content-Type", "image/jpeg")
            .putHeader("X-Content-Type-Options", "nosniff")
            .putHeader("Cache-Control", "private, max-age=86400, immutable")
            .end(Buffer.buffer(thumb)))
        .onFailure(ctx::fail);
  }

  private void reviews(RoutingContext ctx) {
    String cursor;
    int limit;
    try {
      allowOnly(ctx.queryParams(), Set.of("cursor", "limit"));
      cursor = ctx.queryParams().get("cursor");
      limit = intParam(ctx.queryParams(), "limit", 100, 1, 1000);
    } catch (IllegalArgumentException e) {
      ctx.fail(e);
      return;
    }
    blocking(() -> deps.store().listReviews(cursor, limit))
        .onSuccess(page -> {
          ObjectNode out = ReviewJson.MAPPER.createObjectNode();
          ArrayNode items = out.putArray("items");
          for (ReviewRecord r : page.items()) {
            items.add(ReviewJson.review(r));
          }
          out.put("nextCursor", page.nextCursor());
          json(ctx, 200, out);
        })
        .onFailure(ctx::fail);
  }

  // ------------------------------------------------------------------ helpers

  private void reviewed(FlagRecord flag) {
    deps.counter().changed();
    deps.events().flagReviewed(flag);
  }

  private <T> Future<T> blocking(Callable<T> call) {
    return deps.worker().executeBlocking(call, false);
  }

  /** Parses {@code GET /v1/flags}'s query; unknown parameters are errors, like unknown config keys. */
  static FlagQuery flagQuery(MultiMap params) {
    allowOnly(params, LIST_PARAMS);
    String statusText = params.get("status");
    FlagStatus status = statusText == null ? FlagStatus.OPEN : FlagStatus.fromKeyName(statusText);
    String orderText = params.get("order");
    FlagOrder order;
    if (orderText == null || orderText.equals("newest")) {
      order = FlagOrder.NEWEST_FIRST;
    } else if (orderText.equals("least_confident")) {
      order = FlagOrder.LEAST_CONFIDENT_FIRST;
    } else {
      throw new IllegalArgumentException("order must be newest or least_confident, got " + orderText);
    }
    return new FlagQuery(status, params.get("cameraId"), params.get("label"),
        instant(params, "since"), instant(params, "until"), order, params.get("cursor"),
        intParam(params, "limit", 50, 1, MAX_PAGE));
  }

  private static void allowOnly(MultiMap params, Set<String> allowed) {
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            "unknown query parameter '" + name + "'; allowed: " + new java.util.TreeSet<>(allowed));
      }
      if (params.getAll(name).size() > 1) {
        throw new IllegalArgumentException("query parameter '" + name + "' is given more than once");
      }
    }
  }

  private static Instant instant(MultiMap params, String name) {
    String v = params.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          name + " must be an ISO-8601 instant such as 2025-06-01T12:00:00Z, got '" + v + "'", e);
    }
  }

  private static int intParam(MultiMap params, String name, int dflt, int min, int max) {
    String v = params.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'", e);
    }
  }

  private static JsonNode body(RequestBody body) {
    if (body == null || body.buffer() == null || body.length() == 0) {
      throw new IllegalArgumentException("the request needs a JSON body");
    }
    try {
      return ReviewJson.MAPPER.readTree(body.buffer().getBytes());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("the body cannot be read", e);
    }
  }

  private static ObjectNode flagPage(List<FlagRecord> flags, String nextCursor) {
    ObjectNode out = ReviewJson.MAPPER.createObjectNode();
    ArrayNode items = out.putArray("items");
    flags.forEach(f -> items.add(ReviewJson.flag(f)));
    out.put("nextCursor", nextCursor);
    return out;
  }

  private static ObjectNode itemError(String code, StorageException e) {
    return ReviewJson.MAPPER.createObjectNode().put("code", code).put("message", e.getMessage());
  }

  private static void json(RoutingContext ctx, int status, JsonNode body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(Buffer.buffer(body.toString()));
  }

  private static void bytes(RoutingContext ctx, String contentType, FrameData data) {
    ctx.response()
        .putHeader("Content-Type", contentType)
        // Stored bytes are what a camera sent: a browser must never read them as anything but the image type.
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Cache-Control", "private, max-age=86400, immutable")
        .putHeader("ETag", "\"" + data.record().sha256() + "\"")
        .end(Buffer.buffer(data.bytes()));
  }
}
