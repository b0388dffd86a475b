package org.cityvision.serving.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.config.ShadowConfig;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.registry.CandidateJobs;
import org.cityvision.serving.registry.InvalidPackageException;
import org.cityvision.serving.registry.Promotions;

/**
 * Starts and stops shadow runs (admin):
 *
 * <ul>
 *   <li>{@code POST /v1/models/{name}/candidates/{id}/shadow {"rate"?}} → 200 with the run ({@link
 *       ShadowReport}). The rate, in (0, 1], defaults to {@code shadow.rate}. The candidate must be
 *       done (409 {@code candidate_not_ready}), not the live version (409 {@code candidate_live})
 *       and its package must verify (409 {@code package_invalid}), so that a candidate no node
 *       could load is refused before any node tries. A model shadows one candidate at a time:
 *       starting another ends the model's current run. Starting a run again (to change its rate)
 *       keeps its start time and its counts.
 *   <li>{@code DELETE /v1/models/{name}/candidates/{id}/shadow} → 200 with the ended run; 404
 *       {@code unknown_shadow} when the candidate was never shadowed.
 * </ul>
 *
 * <p>The run lives in the store; every node picks it up at its next live-model pass ({@link
 * ShadowRunner#refresh}). Promoting the candidate ends its run. Store calls run on the {@code io}
 * executor. Owns nothing.
 */
public final class ShadowRoutes {
  private final FrameStore store;
  private final ModelStore models;
  private final CandidateJobs candidates;
  private final ShadowReport report;
  private final Function<String, List<String>> labels;
  private final WorkerExecutor io;
  private final Path cacheRoot;
  private final ShadowConfig config;
  private final Clock clock;

  /**
   * @param labels the live labels of a model by name (empty for a model this node does not serve)
   * @param cacheRoot where the verified candidate package is kept, so this node loads it from there
   */
  public ShadowRoutes(
      FrameStore store,
      CandidateJobs candidates,
      Function<String, List<String>> labels,
      WorkerExecutor io,
      Path cacheRoot,
      ShadowConfig config,
      Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.models = store.models();
    this.candidates = Objects.requireNonNull(candidates, "candidates");
    this.report = new ShadowReport(store);
    this.labels = Objects.requireNonNull(labels, "labels");
    this.io = Objects.requireNonNull(io, "io");
    this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The shadow area: admin keys only. */
  public ApiArea area() {
    return new ApiArea("shadow")
        .add(HttpMethod.POST, "/v1/models/{name}/candidates/{id}/shadow", Access.ADMIN, this::start)
        .add(
            HttpMethod.DELETE,
            "/v1/models/{name}/candidates/{id}/shadow",
            Access.ADMIN,
            this::stop);
  }

  /**
   * The candidate's run with every node's comparisons, for {@code GET .../candidates/{id}}.
   * Blocking.
   */
  public Optional<JsonNode> describe(String name, String id) throws StorageException {
    return report.describe(name, id, labels.apply(name)).map(n -> n);
  }

  /** {@code POST /v1/models/{name}/candidates/{id}/shadow}. */
  public void start(RoutingContext ctx) {
    String name = segment(ctx, "name", "model name", "invalid_model");
    String id = segment(ctx, "id", "candidate id", "invalid_candidate");
    double rate = rate(ctx);
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(
            () -> {
              JsonNode candidate =
                  candidates
                      .get(name, id)
                      .orElseThrow(
                          () ->
                              ApiException.notFound(
                                  "unknown_candidate",
                                  "model " + name + " has no candidate " + id));
              String state = candidate.path("state").asText();
              if (!"done".equals(state)) {
                throw new ApiException(
                    409,
                    "candidate_not_ready",
                    "candidate "
                        + id
                        + " is "
                        + state
                        + "; only a finished candidate can run in the shadow of the live model");
              }
              String version = candidate.path("version").asText();
              Optional<LivePointer> live = models.live(name);
              if (live.isPresent() && live.get().version().equals(version)) {
                throw new ApiException(
                    409,
                    "candidate_live",
                    "candidate "
                        + id
                        + " (version "
                        + version
                        + ") is the live version of model "
                        + name
                        + "; there is nothing to compare it with");
              }
              try {
                Promotions.verify(models, cacheRoot, name, version);
              } catch (InvalidPackageException e) {
                throw new ApiException(
                    409,
                    "package_invalid",
                    "candidate "
                        + id
                        + " cannot run in the shadow: "
                        + e.getMessage()
                            .replace(
                                " (forcing promotes it anyway; nodes keep the version they serve)",
                                ""));
              } catch (ObjectNotFoundException e) {
                throw new ApiException(
                    409,
                    "package_invalid",
                    "candidate " + id + " cannot run in the shadow: " + e.getMessage());
              }
              Instant now = clock.instant();
              for (JsonNode other : models.shadows(name)) {
                ShadowRun run = ShadowRun.of(other);
                if (run.active() && !run.candidate().equals(id)) {
                  models.putShadow(
                      name,
                      run.candidate(),
                      run.ended(now, actor, "replaced by the shadow run of candidate " + id));
                }
              }
              ShadowRun run =
                  models
                      .shadow(name, id)
                      .map(ShadowRun::of)
                      .map(
                          earlier ->
                              new ShadowRun(
                                  name,
                                  id,
                                  version,
                                  rate,
                                  earlier.since(),
                                  actor,
                                  true,
                                  null,
                                  null,
                                  null))
                      .orElseGet(() -> ShadowRun.started(name, id, version, rate, now, actor));
              models.putShadow(name, id, run.toJson());
              return describe(name, id).orElseThrow();
            },
            false)
        .onSuccess(view -> Json.send(ctx, 200, new JsonObject(view.toString())))
        .onFailure(ctx::fail);
  }

  /** {@code DELETE /v1/models/{name}/candidates/{id}/shadow}. */
  public void stop(RoutingContext ctx) {
    String name = segment(ctx, "name", "model name", "invalid_model");
    String id = segment(ctx, "id", "candidate id", "invalid_candidate");
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(
            () -> {
              ShadowRun run =
                  models
                      .shadow(name, id)
                      .map(ShadowRun::of)
                      .orElseThrow(
                          () ->
                              ApiException.notFound(
                                  "unknown_shadow",
                                  "candidate "
                                      + id
                                      + " of model "
                                      + name
                                      + " has never run in the shadow"));
              if (run.active()) {
                models.putShadow(name, id, run.ended(clock.instant(), actor, "stopped"));
              }
              return describe(name, id).orElseThrow();
            },
            false)
        .onSuccess(view -> Json.send(ctx, 200, new JsonObject(view.toString())))
        .onFailure(ctx::fail);
  }

  private double rate(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().length() == 0) {
      return config.rate();
    }
    JsonObject body = Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("rate")) {
        throw ApiException.badRequest(
            "invalid_field", "unknown field '" + field + "'; fields: rate");
      }
    }
    Object v = body.getValue("rate");
    if (v == null) {
      return config.rate();
    }
    if (!(v instanceof Number n) || !(n.doubleValue() > 0 && n.doubleValue() <= 1)) {
      throw ApiException.badRequest(
          "invalid_rate",
          "'rate' must be a number greater than 0 and at most 1 (the "
              + "share of live answers the candidate also classifies), got "
              + v);
    }
    return n.doubleValue();
  }

  private static String segment(RoutingContext ctx, String param, String what, String code) {
    try {
      return Names.requireSegment(what, ctx.pathParam(param));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(code, e.getMessage());
    }
  }
}
