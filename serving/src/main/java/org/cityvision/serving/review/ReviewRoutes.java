package org.cityvision.serving.review;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameData;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.ImageNotKeptException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
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

  /**
   * How far back {@code GET /v1/frames/{frameId}/previous} looks for the camera's earlier frames.
   */
  static final Duration HISTORY_LOOKBACK = Duration.ofHours(1);

  private static final Set<String> LIST_PARAMS =
      Set.of(
          "status",
          "cameraId",
          "label",
          "since",
          "until",
          "order",
          "cursor",
          "limit",
          "model",
          "reason",
          "lease",
          "minScore",
          "maxScore",
          "reviewer",
          "group");

  /** A review lease ({@code lease=} on the queue, renewals) lasts this many seconds at least ... */
  public static final int MIN_LEASE_SECONDS = 30;

  /** ... and at most. */
  public static final int MAX_LEASE_SECONDS = 600;

  /** A leased page examines at most this many times {@code limit} flags before it answers. */
  private static final int LEASE_SCAN_FACTOR = 10;

  private final ReviewDeps deps;
  private final FlagRecounts recounts;
  private final Duration reopenWindow;
  private final FlagGroupRoutes groups;

  private ReviewRoutes(ReviewDeps deps, FlagRecounts recounts, Duration reopenWindow) {
    this.deps = deps;
    this.recounts = recounts;
    this.reopenWindow = reopenWindow;
    this.groups = new FlagGroupRoutes(deps);
  }

  /**
   * The review area with recounts on demand only (no schedule, no metrics), a live feed whose
   * streams last {@code streamMs} and the given reopen window.
   */
  public static ApiArea area(ReviewDeps deps, long streamMs, Duration reopenWindow) {
    return area(
        deps,
        new FlagRecounts(deps.store(), Clock.systemUTC(), "local"),
        new ReviewFeed(
            deps.store(),
            deps.worker(),
            Duration.ofMillis(250),
            Duration.ofSeconds(15),
            Duration.ofMillis(streamMs)),
        reopenWindow);
  }

  /** As {@link #area(ReviewDeps, long, Duration)} with the default reopen window. */
  public static ApiArea area(ReviewDeps deps, long streamMs) {
    return area(deps, streamMs, Duration.ofMinutes(ReviewConfig.DEFAULT_REOPEN_MINUTES));
  }

  /**
   * The review area: reviewer keys (and admin keys); {@code recounts} answers the admin's recount,
   * {@code feed} the live queue.
   *
   * @param reopenWindow how long a reviewer may take back their own verdict ({@code
   *     review.reopenMinutes})
   */
  public static ApiArea area(
      ReviewDeps deps, FlagRecounts recounts, ReviewFeed feed, Duration reopenWindow) {
    if (reopenWindow.isNegative() || reopenWindow.isZero()) {
      throw new IllegalArgumentException("reopenWindow must be positive, got " + reopenWindow);
    }
    ReviewRoutes routes = new ReviewRoutes(deps, recounts, reopenWindow);
    Access reviewers = Access.role(KeyRole.REVIEWER);
    return new ApiArea("review")
        .add(HttpMethod.GET, "/v1/review/session", reviewers, routes::session)
        .add(HttpMethod.GET, "/v1/review/events", reviewers, feed::handle)
        .add(HttpMethod.GET, "/v1/flags/counts", reviewers, routes::counts)
        .add(HttpMethod.POST, "/v1/flags/counts/recount", Access.ADMIN, routes::recount)
        .add(HttpMethod.POST, "/v1/review/leases/renew", reviewers, routes::renewLeases)
        .add(HttpMethod.POST, "/v1/review/leases/release", reviewers, routes::releaseLeases)
        .add(HttpMethod.GET, "/v1/flags/recent", reviewers, routes::recent)
        .add(HttpMethod.POST, "/v1/flags/review", reviewers, routes::reviewBulk)
        .add(HttpMethod.GET, "/v1/flags", reviewers, routes::list)
        .add(HttpMethod.POST, "/v1/flags/{frameId}/review", reviewers, routes::review)
        .add(HttpMethod.POST, "/v1/flags/{frameId}/reopen", reviewers, routes::reopen)
        .add(HttpMethod.POST, "/v1/flag-groups/{groupId}/review", reviewers, routes.groups::review)
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
    new TreeMap<>(deps.models().get())
        .forEach((name, labels) -> models.put(name, new JsonArray(labels)));
    json(
        ctx,
        200,
        new JsonObject()
            .put("reviewer", reviewer(ctx))
            .put("role", Authenticator.principal(ctx).role().name().toLowerCase(Locale.ROOT))
            .put("reopenMinutes", reopenWindow.toMinutes())
            .put("labels", new JsonArray(deps.labels()))
            .put("models", models)
            .put("statuses", statuses));
  }

  private void list(RoutingContext ctx) {
    FlagQuery query = flagQuery(ctx.queryParams());
    Integer lease = leaseParam(ctx.queryParams());
    if (lease != null && query.status() != FlagStatus.OPEN) {
      throw new IllegalArgumentException(
          "lease applies to the open queue only, got status=" + query.status().keyName());
    }
    FlagFilter filter = FlagFilter.parse(ctx.queryParams());
    boolean grouped = FlagGroupRoutes.groupParam(ctx.queryParams());
    if (lease != null && !filter.none()) {
      // A leased page holds every flag it answers; a filter applied after leasing would hold flags
      // nobody sees until their leases expire.
      throw new IllegalArgumentException(
          "lease cannot be combined with minScore, maxScore or reviewer");
    }
    if (INFORMATIVE.equals(ctx.queryParams().get("order"))) {
      if (query.cursor() != null) {
        throw new IllegalArgumentException(
            "order=informative has no cursor: judge the page and ask again");
      }
      if (lease != null) {
        String reviewer = reviewer(ctx);
        Duration ttl = Duration.ofSeconds(lease);
        blocking(() -> InformativeOrder.arrange(window(query), INFORMATIVE_WINDOW))
            .compose(
                ranked -> leaseRanked(ranked, 0, query.limit(), reviewer, ttl, new ArrayList<>()))
            .onSuccess(
                leased ->
                    listed(
                        ctx,
                        grouped,
                        flagPage(leased, null)
                            .put("leaseExpiresAt", Instant.now().plus(ttl).toString())))
            .onFailure(ctx::fail);
        return;
      }
      blocking(() -> InformativeOrder.arrange(filter.apply(window(query)), query.limit()))
          .onSuccess(flags -> listed(ctx, grouped, flagPage(flags, null)))
          .onFailure(ctx::fail);
      return;
    }
    if (lease != null) {
      String reviewer = reviewer(ctx);
      Duration ttl = Duration.ofSeconds(lease);
      leasedPage(query, reviewer, ttl, new ArrayList<>(), 0)
          .onSuccess(
              page ->
                  listed(
                      ctx,
                      grouped,
                      flagPage(page.items(), page.nextCursor())
                          .put("leaseExpiresAt", Instant.now().plus(ttl).toString())))
          .onFailure(ctx::fail);
      return;
    }
    // Score and reviewer filters apply to each page the store returns: a page may come back short,
    // or empty with a cursor, and the caller goes on with the cursor as for any filtered page.
    blocking(() -> deps.store().listFlags(query))
        .onSuccess(
            page -> listed(ctx, grouped, flagPage(filter.apply(page.items()), page.nextCursor())))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/flags/{frameId}/reopen {"revision"?}}: takes the flag's latest verdict back
   * (the page's undo). A reviewer may reopen their own verdict while it is the latest on the flag
   * and younger than the reopen window; an admin may reopen any verdict. {@code revision} (the
   * revision the verdict created, as its answer said) makes the undo exact: 409 if anything came
   * after it.
   */
  private void reopen(RoutingContext ctx) {
    String frameId = frameId(ctx);
    boolean empty =
        ctx.body() == null || ctx.body().buffer() == null || ctx.body().buffer().length() == 0;
    JsonObject body = empty ? new JsonObject() : Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("revision")) {
        throw new IllegalArgumentException(
            "unknown field '" + field + "' in reopen; fields: revision");
      }
    }
    Object revisionValue = body.getValue("revision");
    if (revisionValue != null
        && !(revisionValue instanceof Number n
            && n.longValue() >= 2
            && n.doubleValue() == n.longValue())) {
      throw new IllegalArgumentException(
          "revision must be an integer >= 2 (a verdict's revision), got " + revisionValue);
    }
    Long revision = revisionValue == null ? null : ((Number) revisionValue).longValue();
    String reviewer = reviewer(ctx);
    boolean admin = Authenticator.principal(ctx).role() == KeyRole.ADMIN;
    blocking(
            () -> {
              FlagRecord head = deps.store().flag(frameId);
              if (head.status() == FlagStatus.OPEN) {
                throw new ConflictException(
                    "flag " + frameId + " is open: there is no verdict to take back");
              }
              if (revision != null && head.revision() != revision) {
                throw new ConflictException(
                    "flag "
                        + frameId
                        + " has a later verdict: "
                        + head.status().keyName()
                        + " by "
                        + head.reviewer()
                        + " at "
                        + head.reviewedAt()
                        + " (revision "
                        + head.revision()
                        + ", not "
                        + revision
                        + ")");
              }
              if (!admin && !reviewer.equals(head.reviewer())) {
                throw new ConflictException(
                    "flag "
                        + frameId
                        + "'s latest verdict is "
                        + head.reviewer()
                        + "'s ("
                        + head.status().keyName()
                        + " at "
                        + head.reviewedAt()
                        + "); a reviewer reopens only their own "
                        + "latest verdict, an admin any");
              }
              if (!admin && head.reviewedAt().plus(reopenWindow).isBefore(Instant.now())) {
                throw new ApiException(
                    403,
                    "reopen_window_passed",
                    "verdicts can be reopened by their reviewer for "
                        + reopenWindow.toMinutes()
                        + " minutes (review.reopenMinutes); this one was given at "
                        + head.reviewedAt()
                        + ": ask an admin");
              }
              return deps.store().reopenFlag(frameId, head.revision(), reviewer);
            })
        .onSuccess(flag -> json(ctx, 200, ReviewJson.flag(flag)))
        .onFailure(ctx::fail);
  }

  /**
   * Fills a page with flags nobody else holds, leasing each to {@code reviewer}: asks the store for
   * as many flags as are still missing (so that the cursor never passes a flag this page did not
   * examine), claims them all at once, and goes on from the cursor while some were held by others,
   * up to {@link #LEASE_SCAN_FACTOR} times the limit.
   */
  private Future<Page<FlagRecord>> leasedPage(
      FlagQuery query, String reviewer, Duration ttl, List<FlagRecord> got, int examined) {
    int missing = query.limit() - got.size();
    FlagQuery step =
        new FlagQuery(
            query.status(),
            query.cameraId(),
            query.label(),
            query.since(),
            query.until(),
            query.order(),
            query.cursor(),
            missing,
            query.model(),
            query.reason());
    return blocking(() -> deps.store().listFlags(step))
        .compose(
            page ->
                leaseAll(page.items(), reviewer, ttl)
                    .compose(
                        leased -> {
                          got.addAll(leased);
                          int seen = examined + page.items().size();
                          if (got.size() == query.limit()
                              || page.nextCursor() == null
                              || seen >= LEASE_SCAN_FACTOR * query.limit()) {
                            return Future.succeededFuture(new Page<>(got, page.nextCursor()));
                          }
                          return leasedPage(
                              query.withCursor(page.nextCursor()), reviewer, ttl, got, seen);
                        }));
  }

  /**
   * Leases from {@code ranked}, in its order, as many as are missing at a time, until {@code limit}
   * are held.
   */
  private Future<List<FlagRecord>> leaseRanked(
      List<FlagRecord> ranked,
      int from,
      int limit,
      String reviewer,
      Duration ttl,
      List<FlagRecord> got) {
    int to = Math.min(ranked.size(), from + limit - got.size());
    if (got.size() == limit || from >= to) {
      return Future.succeededFuture(got);
    }
    return leaseAll(ranked.subList(from, to), reviewer, ttl)
        .compose(
            leased -> {
              got.addAll(leased);
              return leaseRanked(ranked, to, limit, reviewer, ttl, got);
            });
  }

  /** Claims each flag for {@code reviewer} in parallel; the ones it got, in the given order. */
  private Future<List<FlagRecord>> leaseAll(List<FlagRecord> flags, String reviewer, Duration ttl) {
    List<Future<Boolean>> claims = new ArrayList<>();
    for (FlagRecord f : flags) {
      claims.add(blocking(() -> deps.store().leaseFlag(f.frameId(), reviewer, ttl).isPresent()));
    }
    return Future.all(claims)
        .map(
            all -> {
              List<FlagRecord> out = new ArrayList<>();
              for (int i = 0; i < flags.size(); i++) {
                if (all.<Boolean>resultAt(i)) {
                  out.add(flags.get(i));
                }
              }
              return out;
            });
  }

  /**
   * {@code {"frameIds": [...], "seconds"}}: extends the caller's leases; reports the ones it lost.
   */
  private void renewLeases(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    List<String> ids = frameIds(body, Set.of("frameIds", "seconds"));
    Object seconds = body.getValue("seconds");
    if (!(seconds instanceof Number n)
        || n.doubleValue() != n.intValue()
        || n.intValue() < MIN_LEASE_SECONDS
        || n.intValue() > MAX_LEASE_SECONDS) {
      throw new IllegalArgumentException(
          "seconds must be an integer in "
              + MIN_LEASE_SECONDS
              + ".."
              + MAX_LEASE_SECONDS
              + ", got "
              + seconds);
    }
    String reviewer = reviewer(ctx);
    Duration ttl = Duration.ofSeconds(((Number) seconds).intValue());
    List<Future<Boolean>> claims = new ArrayList<>();
    for (String id : ids) {
      claims.add(blocking(() -> deps.store().leaseFlag(id, reviewer, ttl).isPresent()));
    }
    Future.all(claims)
        .onSuccess(
            all -> {
              JsonArray leased = new JsonArray();
              JsonArray lost = new JsonArray();
              for (int i = 0; i < ids.size(); i++) {
                (all.<Boolean>resultAt(i) ? leased : lost).add(ids.get(i));
              }
              json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("leased", leased)
                      .put("lost", lost)
                      .put("expiresAt", Instant.now().plus(ttl).toString()));
            })
        .onFailure(ctx::fail);
  }

  /**
   * {@code {"frameIds": [...]}}: ends the caller's leases now (the page calls it when it is left).
   */
  private void releaseLeases(RoutingContext ctx) {
    List<String> ids = frameIds(Json.body(ctx), Set.of("frameIds"));
    String reviewer = reviewer(ctx);
    List<Future<Boolean>> releases = new ArrayList<>();
    for (String id : ids) {
      releases.add(blocking(() -> deps.store().releaseFlag(id, reviewer)));
    }
    Future.all(releases)
        .onSuccess(
            all -> {
              int released = 0;
              for (int i = 0; i < ids.size(); i++) {
                released += all.<Boolean>resultAt(i) ? 1 : 0;
              }
              json(ctx, 200, new JsonObject().put("released", released));
            })
        .onFailure(ctx::fail);
  }

  /**
   * The body's {@code frameIds}: 1..{@link #MAX_PAGE} valid frame ids; no fields beyond {@code
   * allowed}.
   */
  private static List<String> frameIds(JsonObject body, Set<String> allowed) {
    for (String name : body.fieldNames()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            "unknown field '" + name + "'; allowed: " + new TreeSet<>(allowed));
      }
    }
    if (!(body.getValue("frameIds") instanceof JsonArray array)
        || array.isEmpty()
        || array.size() > MAX_PAGE) {
      throw new IllegalArgumentException(
          "frameIds must be an array of 1.." + MAX_PAGE + " frame ids");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String id)) {
        throw new IllegalArgumentException("frameIds[" + i + "] must be a string");
      }
      try {
        ids.add(FrameId.parse(id).value());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_frame_id", "frameIds[" + i + "]: " + e.getMessage());
      }
    }
    return ids;
  }

  /** {@code lease=} seconds, or {@code null} without one. */
  private static Integer leaseParam(MultiMap params) {
    return params.get("lease") == null
        ? null
        : intParam(params, "lease", 0, MIN_LEASE_SECONDS, MAX_LEASE_SECONDS);
  }

  /**
   * Exact counts from the store's maintained counters: per status (with {@code atLeast} always
   * false, for clients of the bounded counts), and open flags per camera and per label.
   */
  private void counts(RoutingContext ctx) {
    blocking(() -> deps.store().flagCounts())
        .onSuccess(c -> json(ctx, 200, countsJson(c)))
        .onFailure(ctx::fail);
  }

  static JsonObject countsJson(FlagCounts c) {
    JsonObject out = new JsonObject();
    for (FlagStatus s : FlagStatus.values()) {
      out.put(
          s.keyName(), new JsonObject().put("count", Math.max(0, c.of(s))).put("atLeast", false));
    }
    JsonObject cameras = new JsonObject();
    c.openByCamera().forEach((k, v) -> cameras.put(k, Math.max(0, v)));
    JsonObject labels = new JsonObject();
    c.openByLabel().forEach((k, v) -> labels.put(k, Math.max(0, v)));
    return out.put("openByCamera", cameras)
        .put("openByLabel", labels)
        .put("revision", c.revision());
  }

  /** Admin: recounts the queue now and repairs drifted counts; answers what it found. */
  private void recount(RoutingContext ctx) {
    allowOnly(ctx.queryParams(), Set.of());
    blocking(recounts::recountNow)
        .onSuccess(
            r -> {
              JsonObject drift = new JsonObject();
              r.drift().forEach(drift::put);
              json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("applied", r.applied())
                      .put("skipped", r.skipped())
                      .put("drift", drift)
                      .put("indexed", r.indexed())
                      .put("counts", countsJson(r.after())));
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
      FlagQuery q =
          new FlagQuery(s, cameraId, null, null, null, FlagOrder.NEWEST_FIRST, null, limit);
      pages.add(blocking(() -> deps.store().listFlags(q)));
    }
    Future.all(pages)
        .onSuccess(
            all -> {
              List<FlagRecord> merged = new ArrayList<>();
              for (int i = 0; i < pages.size(); i++) {
                merged.addAll(all.<Page<FlagRecord>>resultAt(i).items());
              }
              merged.sort(
                  Comparator.comparing(FlagRecord::flaggedAt)
                      .reversed()
                      .thenComparing(FlagRecord::frameId));
              json(ctx, 200, flagPage(merged.subList(0, Math.min(limit, merged.size())), null));
            })
        .onFailure(ctx::fail);
  }

  private void review(RoutingContext ctx) {
    VerdictRequest request =
        VerdictRequest.parse(Json.body(ctx), ctx.pathParam("frameId"), List.of());
    String reviewer = reviewer(ctx);
    request.review(reviewer);
    blocking(
            () -> {
              checkLabel(request);
              return deps.store().reviewFlag(request.review(reviewer));
            })
        .onSuccess(
            flag -> {
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
      throw new IllegalArgumentException(
          "items must hold 1.." + MAX_BULK + " verdicts, got " + array.size());
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
    blocking(
            () -> {
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
              return new JsonObject()
                  .put("succeeded", ok)
                  .put("failed", items.size() - ok)
                  .put("results", results);
            })
        .onSuccess(out -> json(ctx, 200, out))
        .onFailure(ctx::fail);
  }

  private void frame(RoutingContext ctx) {
    String frameId = frameId(ctx);
    Future<FrameRecord> frame = blocking(() -> deps.store().frame(frameId));
    Future<FlagRecord> flag =
        blocking(
            () -> {
              try {
                return deps.store().flag(frameId);
              } catch (ObjectNotFoundException e) {
                return null;
              }
            });
    Future<List<ResultRecord>> results = blocking(() -> deps.store().results(frameId));
    Future.all(frame, flag, results)
        .onSuccess(
            all -> {
              JsonArray list = new JsonArray();
              results.result().forEach(r -> list.add(ReviewJson.result(r)));
              json(
                  ctx,
                  200,
                  ReviewJson.frame(frame.result())
                      .put("flag", flag.result() == null ? null : ReviewJson.flag(flag.result()))
                      .put("results", list));
            })
        .onFailure(ctx::fail);
  }

  /**
   * The path's frame id, or a 400 {@code invalid_frame_id} (thrown; the failure handler answers).
   */
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
        .onFailure(
            e ->
                ctx.fail(
                    e instanceof ImageNotKeptException notKept
                        ? new ApiException(
                            404,
                            "image_not_kept",
                            notKept.getMessage()
                                + "; its image is at /v1/frames/"
                                + notKept.imageOf()
                                + "/image")
                        : e));
  }

  private void thumbnail(RoutingContext ctx) {
    String frameId = frameId(ctx);
    blocking(() -> deps.store().readThumbnail(frameId))
        .onSuccess(
            thumb ->
                ctx.response()
                    .putHeader("Content-Type", "image/jpeg")
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Cache-Control", "private, max-age=86400, immutable")
                    .end(Buffer.buffer(thumb)))
        .onFailure(ctx::fail);
  }

  /**
   * {@code GET /v1/frames/{frameId}/previous?limit=}: the frames the same camera sent in the {@link
   * #HISTORY_LOOKBACK} before this one, newest first ({@code limit} 1..20, default 8), flagged or
   * not: the page's history strip. Its cost is that hour's listings, whatever the camera's history.
   */
  private void previous(RoutingContext ctx) {
    FrameId id = FrameId.parse(frameId(ctx));
    allowOnly(ctx.queryParams(), Set.of("limit"));
    int limit = intParam(ctx.queryParams(), "limit", 8, 1, 20);
    blocking(
            () ->
                deps.store().framesBefore(id.cameraId(), id.capturedAt(), HISTORY_LOOKBACK, limit))
        .onSuccess(
            frames -> {
              JsonArray items = new JsonArray();
              for (FrameEntry f : frames) {
                items.add(
                    new JsonObject()
                        .put("frameId", f.frameId())
                        .put("cameraId", id.cameraId())
                        .put("capturedAt", FrameId.parse(f.frameId()).capturedAt().toString())
                        .put("sizeBytes", f.sizeBytes()));
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
        .onSuccess(
            page -> {
              JsonArray items = new JsonArray();
              for (ReviewRecord r : page.items()) {
                items.add(ReviewJson.review(r));
              }
              json(
                  ctx,
                  200,
                  new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
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
    deps.events().flagReviewed(flag);
  }

  private <T> Future<T> blocking(Callable<T> call) {
    return deps.worker().executeBlocking(call, false);
  }

  /**
   * The newest flags matching {@code query}, at most {@link #INFORMATIVE_WINDOW}: what informative
   * order ranks.
   */
  private List<FlagRecord> window(FlagQuery query) throws StorageException {
    List<FlagRecord> out = new ArrayList<>();
    FlagQuery page =
        new FlagQuery(
            query.status(),
            query.cameraId(),
            query.label(),
            query.since(),
            query.until(),
            FlagOrder.NEWEST_FIRST,
            null,
            MAX_PAGE,
            query.model(),
            query.reason());
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

  /**
   * Parses {@code GET /v1/flags}'s query; unknown parameters are errors, like unknown config keys.
   */
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
      throw new IllegalArgumentException(
          "order must be newest, least_confident or informative, got " + orderText);
    }
    return new FlagQuery(
        status,
        params.get("cameraId"),
        params.get("label"),
        instant(params, "since"),
        instant(params, "until"),
        order,
        params.get("cursor"),
        intParam(params, "limit", 50, 1, MAX_PAGE),
        params.get("model"),
        params.get("reason"));
  }

  private static void allowOnly(MultiMap params, Set<String> allowed) {
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            "unknown query parameter '" + name + "'; allowed: " + new TreeSet<>(allowed));
      }
      if (params.getAll(name).size() > 1) {
        throw new IllegalArgumentException(
            "query parameter '" + name + "' is given more than once");
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

  /** A list page as it is, or with one entry per near-duplicate group ({@code group=true}). */
  private void listed(RoutingContext ctx, boolean grouped, JsonObject page) {
    (grouped ? groups.collapse(page) : Future.succeededFuture(page))
        .onSuccess(out -> json(ctx, 200, out))
        .onFailure(ctx::fail);
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
        // Stored bytes are what a camera sent: a browser must never read them as anything but the
        // image type.
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Cache-Control", "private, max-age=86400, immutable")
        .putHeader("ETag", "\"" + data.record().sha256() + "\"")
        .end(Buffer.buffer(data.bytes()));
  }
}
