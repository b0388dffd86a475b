package org.cityvision.serving.review;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FlagOrder;
import org.cityvision.core.storage.FlagQuery;
import org.cityvision.core.storage.FlagRecord;
import org.cityvision.core.storage.FlagStatus;
import org.cityvision.core.storage.FrameData;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.FrameId;
import org.cityvision.core.storage.FrameRecord;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.ResultRecord;
import org.cityvision.core.storage.ReviewRecord;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.config.ReviewConfig;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/**
 * The review API (see {@code docs/REVIEW.md}): the queue with filters, orders and cursors; frame
 * detail, image and thumbnail; verdicts, single and bulk, and their undo (reopen); the audit log;
 * counts per status.
 *
 * <p>Every route needs a {@code reviewer} or {@code admin} key. Every store call runs on {@link
 * ReviewDeps#worker()}; handlers only compose futures. Refused values are {@link
 * IllegalArgumentException}s, which the API's failure handler answers with 400 {@code
 * invalid_request} and the message.
 */
public final class ReviewRoutes {
  /** A bulk request judges at most this many flags. */
  public static final int MAX_BULK = 500;
  /** The largest page of the queue: each flag returned costs two store requests. */
  public static final int MAX_PAGE = 200;

  /**
   * {@code order=informative} ranks the newest this many flags matching the filters (each costs a
   * store read, as for any page).
   */
  public static final int INFORMATIVE_WINDOW = 600;
  private static final String INFORMATIVE = "informative";

  /** How far back {@code GET /v1/frames/{frameId}/previous} looks for the camera's earlier frames. */
  static final Duration HISTORY_LOOKBACK = Duration.ofHours(1);

  private static final Set<String> LIST_PARAMS = Set.of("status", "cameraId", "label", "since", "until", "order",
      "cursor", "limit", "model", "minScore", "maxScore", "reviewer");

  private final ReviewDeps deps;
  private final Duration reopenWindow;

  private ReviewRoutes(ReviewDeps deps, Duration reopenWindow) {
    this.deps = deps;
    this.reopenWindow = reopenWindow;
  }

  /** The review area with the default reopen window ({@value ReviewConfig#DEFAULT_REOPEN_MINUTES} minutes). */
  public static ApiArea area(ReviewDeps deps) {
    return area(deps, Duration.ofMinutes(ReviewConfig.DEFAULT_REOPEN_MINUTES));
  }

  /**
   * The review area: reviewer keys (and admin keys).
   *
   * @param reopenWindow how long a reviewer may take back their own verdict ({@code review.reopenMinutes})
   */
  public static ApiArea area(ReviewDeps deps, Duration reopenWindow) {
    if (reopenWindow.isNegative() || reopenWindow.isZero()) {
      throw new IllegalArgumentException("reopenWindow must be positive, got " + reopenWindow);
    }
    ReviewRoutes routes = new ReviewRoutes(deps, reopenWindow);
    Access reviewers = Access.role(KeyRole.REVIEWER);
    return new ApiArea("review")
        .add(HttpMethod.GET, "/v1/review/session", reviewers, routes::session)
        .add(HttpMethod.GET, "/v1/flags/counts", reviewers, routes::counts)
        .add(HttpMethod.GET, "/v1/flags/recent", reviewers, routes::recent)
        .add(HttpMethod.POST, "/v1/flags/review", reviewers, routes::reviewBulk)
        .add(HttpMethod.GET, "/v1/flags", reviewers, routes::list)
        .add(HttpMethod.POST, "/v1/flags/{frameId}/review", reviewers, routes::review)
        .add(HttpMethod.POST, "/v1/flags/{frameId}/reopen", reviewers, routes::reopen)
        .add(HttpMethod.GET, "/v1/frames/{frameId}", reviewers, routes::frame)
        .add(HttpMethod.GET, "/v1/frames/{frameId}/image", reviewers, routes::image)
        .add(HttpMethod.GET, "/v1/frames/{frameId}/thumbnail", reviewers, routes::thumbnail)
        .add(HttpMethod.GET, "/v1/frames/{frameId}/previous", reviewers, routes::previous)
        .add(HttpMethod.GET, "/v1/reviews", reviewers, routes::reviews);
  }

  // ------------------------------------------------------------------ handlers

  private void session(RoutingContext ctx) {
    JsonArray statuses = new JsonArray();
    for (FlagStatus s : FlagStatus.values()) {
      statuses.add(s.keyName());
    }
    JsonObject models = new JsonObject();
    new java.util.TreeMap<>(deps.models().get()).forEach((name, labels) -> models.put(name, new JsonArray(labels)));
    json(ctx, 200, new JsonObject()
        .put("reviewer", reviewer(ctx))
        .put("role", Authenticator.principal(ctx).role().name().toLowerCase(java.util.Locale.ROOT))
        .put("reopenMinutes", reopenWindow.toMinutes())
        .put("labels", new JsonArray(deps.labels()))
        .put("models", models)
        .put("statuses", statuses));
  }

  private void list(RoutingContext ctx) {
    FlagQuery query = flagQuery(ctx.queryParams());
    FlagFilter filter = FlagFilter.parse(ctx.queryParams());
    if (INFORMATIVE.equals(ctx.queryParams().get("order"))) {
      if (query.cursor() != null) {
        throw new IllegalArgumentException("order=informative has no cursor: judge the page and ask again");
      }
      blocking(() -> InformativeOrder.arrange(filter.apply(window(query)), query.limit()))
          .onSuccess(flags -> json(ctx, 200, flagPage(flags, null)))
          .onFailure(ctx::fail);
      return;
    }
    // Score and reviewer filters apply to each page the store returns: a page may come back short,
    // or empty with a cursor, and the caller goes on with the cursor as for any filtered page.
    blocking(() -> deps.store().listFlags(query))
        .onSuccess(page -> json(ctx, 200, flagPage(filter.apply(page.items()), page.nextCursor())))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/flags/{frameId}/reopen {"revision"?}}: takes the flag's latest verdict back (the
   * page's undo). A reviewer may reopen their own verdict while it is the latest on the flag and
   * younger than the reopen window; an admin may reopen any verdict. {@code revision} (the revision
   * the verdict created, as its answer said) makes the undo exact: 409 if anything came after it.
   */
  private void reopen(RoutingContext ctx) {
    String frameId = frameId(ctx);
    boolean empty = ctx.body() == null || ctx.body().buffer() == null || ctx.body().buffer().length() == 0;
    JsonObject body = empty ? new JsonObject() : Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("revision")) {
        throw new IllegalArgumentException("unknown field '" + field + "' in reopen; fields: revision");
      }
    }
    Object revisionValue = body.getValue("revision");
    if (revisionValue != null && !(revisionValue instanceof Number n && n.longValue() >= 2
        && n.doubleValue() == n.longValue())) {
      throw new IllegalArgumentException("revision must be an integer >= 2 (a verdict's revision), got "
          + revisionValue);
    }
    Long revision = revisionValue == null ? null : ((Number) revisionValue).longValue();
    String reviewer = reviewer(ctx);
    boolean admin = Authenticator.principal(ctx).role() == KeyRole.ADMIN;
    blocking(() -> {
          FlagRecord head = deps.store().flag(frameId);
          if (head.status() == FlagStatus.OPEN) {
            throw new ConflictException("flag " + frameId + " is open: there is no verdict to take back");
          }
          if (revision != null && head.revision() != revision) {
            throw new ConflictException("flag " + frameId + " has a later verdict: " + head.status().keyName()
                + " by " + head.reviewer() + " at " + head.reviewedAt() + " (revision " + head.revision()
                + ", not " + revision + ")");
          }
          if (!admin && !reviewer.equals(head.reviewer())) {
            throw new ConflictException("flag " + frameId + "'s latest verdict is " + head.reviewer() + "'s ("
                + head.status().keyName() + " at " + head.reviewedAt() + "); a reviewer reopens only their own "
                + "latest verdict, an admin any");
          }
          if (!admin && head.reviewedAt().plus(reopenWindow).isBefore(Instant.now())) {
            throw new ApiException(403, "reopen_window_passed", "verdicts can be reopened by their reviewer for "
                + reopenWindow.toMinutes() + " minutes (review.reopenMinutes); this one was given at "
                + head.reviewedAt() + ": ask an admin");
          }
          return deps.store().reopenFlag(frameId, head.revision(), reviewer);
        })
        .onSuccess(flag -> {
          deps.counter().changed();
          json(ctx, 200, ReviewJson.flag(flag));
        })
        .onFailure(ctx::fail);
  }

  private void counts(RoutingContext ctx) {
    List<Future<FlagCount>> counts = new ArrayList<>();
    for (FlagStatus s : FlagStatus.values()) {
      counts.add(blocking(() -> deps.counter().count(s)));
    }
    Future.all(counts)
        .onSuccess(all -> {
          JsonObject out = new JsonObject();
          for (FlagStatus s : FlagStatus.values()) {
            FlagCount c = all.resultAt(s.ordinal());
            out.put(s.keyName(), new JsonObject().put("count", c.count()).put("atLeast", c.atLeast()));
          }
          json(ctx, 200, out);
        })
        .onFailure(ctx::fail);
  }

  /** The newest flags of one camera across every status: the detail view's camera history. */
  private void recent(RoutingContext ctx) {
    allowOnly(ctx.queryParams(), Set.of("cameraId", "limit"));
    String cameraId = ctx.queryParams().get("cameraId");
    if (cameraId == null) {
      throw new IllegalArgumentException("cameraId is required");
    }
    int limit = intParam(ctx.queryParams(), "limit", 10, 1, 50);
    new FlagQuery(FlagStatus.OPEN, cameraId, null, null, null, FlagOrder.NEWEST_FIRST, null, limit);
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
    VerdictRequest request = VerdictRequest.parse(Json.body(ctx), ctx.pathParam("frameId"), List.of());
    String reviewer = reviewer(ctx);
    request.review(reviewer);
    blocking(() -> {
          checkLabel(request);
          return deps.store().reviewFlag(request.review(reviewer));
        })
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
    JsonObject body = Json.body(ctx);
    if (!(body.getValue("items") instanceof JsonArray array) || body.size() != 1) {
      throw new IllegalArgumentException("a bulk review is {\"items\": [...]}");
    }
    if (array.isEmpty() || array.size() > MAX_BULK) {
      throw new IllegalArgumentException("items must hold 1.." + MAX_BULK + " verdicts, got " + array.size());
    }
    String reviewer = reviewer(ctx);
    List<VerdictRequest> items = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      try {
        VerdictRequest item = VerdictRequest.parse(array.getValue(i), null, List.of());
        item.review(reviewer);
        items.add(item);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("items[" + i + "]: " + e.getMessage(), e);
      }
    }
    blocking(() -> {
          // Labels are checked against each flag's model before anything is judged.
          for (int i = 0; i < items.size(); i++) {
            try {
              checkLabel(items.get(i));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException("items[" + i + "]: " + e.getMessage(), e);
            }
          }
          JsonArray results = new JsonArray();
          int ok = 0;
          for (VerdictRequest item : items) {
            JsonObject r = new JsonObject().put("frameId", item.frameId());
            results.add(r);
            try {
              FlagRecord flag = deps.store().reviewFlag(item.review(reviewer));
              reviewed(flag);
              r.put("status", 200).put("flag", ReviewJson.flag(flag));
              ok++;
            } catch (ObjectNotFoundException e) {
              r.put("status", 404).put("error", itemError("not_found", e));
            } catch (ConflictException e) {
              r.put("status", 409).put("error", itemError("conflict", e));
            }
          }
          return new JsonObject().put("succeeded", ok).put("failed", items.size() - ok).put("results", results);
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
          JsonArray list = new JsonArray();
          results.result().forEach(r -> list.add(ReviewJson.result(r)));
          json(ctx, 200, ReviewJson.frame(frame.result())
              .put("flag", flag.result() == null ? null : ReviewJson.flag(flag.result()))
              .put("results", list));
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

  /**
   * {@code GET /v1/frames/{frameId}/previous?limit=}: the frames the same camera sent in the
   * {@link #HISTORY_LOOKBACK} before this one, newest first ({@code limit} 1..20, default 8), flagged
   * or not: the page's history strip. Its cost is that hour's listings, whatever the camera's history.
   */
  private void previous(RoutingContext ctx) {
    FrameId id = FrameId.parse(frameId(ctx));
    allowOnly(ctx.queryParams(), Set.of("limit"));
    int limit = intParam(ctx.queryParams(), "limit", 8, 1, 20);
    blocking(() -> deps.store().framesBefore(id.cameraId(), id.capturedAt(), HISTORY_LOOKBACK, limit))
        .onSuccess(frames -> {
          JsonArray items = new JsonArray();
          for (FrameEntry f : frames) {
            items.add(new JsonObject().put("frameId", f.frameId()).put("cameraId", id.cameraId())
                .put("capturedAt", FrameId.parse(f.frameId()).capturedAt().toString()).put("sizeBytes", f.sizeBytes()));
          }
          json(ctx, 200, new JsonObject().put("items", items));
        })
        .onFailure(ctx::fail);
  }

  private void reviews(RoutingContext ctx) {
    allowOnly(ctx.queryParams(), Set.of("cursor", "limit"));
    String cursor = ctx.queryParams().get("cursor");
    int limit = intParam(ctx.queryParams(), "limit", 100, 1, 1000);
    blocking(() -> deps.store().listReviews(cursor, limit))
        .onSuccess(page -> {
          JsonArray items = new JsonArray();
          for (ReviewRecord r : page.items()) {
            items.add(ReviewJson.review(r));
          }
          json(ctx, 200, new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
        })
        .onFailure(ctx::fail);
  }

  // ------------------------------------------------------------------ helpers

  /** The name of the key that authentication admitted: the reviewer of a verdict. */
  private static String reviewer(RoutingContext ctx) {
    return Authenticator.principal(ctx).name();
  }

  /**
   * Refuses a relabel to a label the flag's model does not have (blocking: reads the flag). A flag
   * that does not exist is left to the verdict, which answers 404.
   */
  private void checkLabel(VerdictRequest request) throws StorageException {
    if (request.label() == null) {
      return;
    }
    FlagRecord flag;
    try {
      flag = deps.store().flag(request.frameId());
    } catch (ObjectNotFoundException e) {
      return;
    }
    request.checkLabel(deps.models().get(), flag.model());
  }

  private void reviewed(FlagRecord flag) {
    deps.counter().changed();
    deps.events().flagReviewed(flag);
  }

  private <T> Future<T> blocking(Callable<T> call) {
    return deps.worker().executeBlocking(call, false);
  }

  /** The newest flags matching {@code query}, at most {@link #INFORMATIVE_WINDOW}: what informative order ranks. */
  private List<FlagRecord> window(FlagQuery query) throws StorageException {
    List<FlagRecord> out = new ArrayList<>();
    FlagQuery page = new FlagQuery(query.status(), query.cameraId(), query.label(), query.since(), query.until(),
        FlagOrder.NEWEST_FIRST, null, MAX_PAGE, query.model());
    while (out.size() < INFORMATIVE_WINDOW) {
      Page<FlagRecord> p = deps.store().listFlags(page);
      out.addAll(p.items());
      if (p.nextCursor() == null) {
        break;
      }
      page = page.withCursor(p.nextCursor());
    }
    return out.size() > INFORMATIVE_WINDOW ? out.subList(0, INFORMATIVE_WINDOW) : out;
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
    } else if (orderText.equals(INFORMATIVE)) {
      order = FlagOrder.NEWEST_FIRST;
    } else {
      throw new IllegalArgumentException("order must be newest, least_confident or informative, got " + orderText);
    }
    return new FlagQuery(status, params.get("cameraId"), params.get("label"),
        instant(params, "since"), instant(params, "until"), order, params.get("cursor"),
        intParam(params, "limit", 50, 1, MAX_PAGE), params.get("model"));
  }

  private static void allowOnly(MultiMap params, Set<String> allowed) {
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            "unknown query parameter '" + name + "'; allowed: " + new TreeSet<>(allowed));
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

  private static JsonObject flagPage(List<FlagRecord> flags, String nextCursor) {
    JsonArray items = new JsonArray();
    flags.forEach(f -> items.add(ReviewJson.flag(f)));
    return new JsonObject().put("items", items).put("nextCursor", nextCursor);
  }

  private static JsonObject itemError(String code, StorageException e) {
    return new JsonObject().put("code", code).put("message", e.getMessage());
  }

  /** Review answers are per reviewer and change with every verdict: never cached. */
  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().putHeader("Cache-Control", "no-store");
    Json.send(ctx, status, body);
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
