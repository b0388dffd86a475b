package org.cityvision.serving.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.models.candidate.CandidateMode;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/**
 * Promote and roll back (admin), changing the store's live pointer that every node follows:
 *
 * <ul>
 *   <li>{@code POST /v1/models/{name}/versions/{version}/promote {"force"?, "reason"?,
 *       "expectedCurrent"?}} → 200 with the new pointer revision. Unless forced, the version's
 *       package must verify (every file against its manifest checksum, {@code model.json} naming
 *       this model, version and the live version's task), else 409 {@code package_invalid}; 404 for
 *       an unknown version; 409 {@code conflict} when the version is already live, when {@code
 *       expectedCurrent} is not the live version, or when another change of the pointer won.
 *   <li>{@code POST /v1/models/{name}/rollback {"reason"?}} → 200 with the new revision, which
 *       restores the version that was live before; 409 when there is none, 404 for a model with no
 *       live version.
 * </ul>
 *
 * <p>Every node swaps within {@code models.watchMs} plus its load time. Store calls run on the
 * {@code io} executor. Owns nothing.
 */
public final class RegistryRoutes {
  private final ModelStore store;
  private final WorkerExecutor io;
  private final Path cacheRoot;
  private final CandidateJobs candidates;
  private final CandidateShadow shadow;

  /**
   * @param cacheRoot where verified packages are kept; a promote's verification fetches the version
   *     there, so this node's swap finds it ready
   */
  public RegistryRoutes(
      ModelStore store, WorkerExecutor io, Path cacheRoot, CandidateJobs candidates) {
    this(store, io, cacheRoot, candidates, CandidateShadow.NONE);
  }

  /**
   * @param shadow a candidate's shadow run, shown under {@code shadow} in its state
   */
  public RegistryRoutes(
      ModelStore store,
      WorkerExecutor io,
      Path cacheRoot,
      CandidateJobs candidates,
      CandidateShadow shadow) {
    this.store = Objects.requireNonNull(store, "store");
    this.io = Objects.requireNonNull(io, "io");
    this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot");
    this.candidates = Objects.requireNonNull(candidates, "candidates");
    this.shadow = Objects.requireNonNull(shadow, "shadow");
  }

  /** The registry area: admin keys only. */
  public ApiArea area() {
    return new ApiArea("registry")
        .add(
            HttpMethod.POST,
            "/v1/models/{name}/versions/{version}/promote",
            Access.ADMIN,
            this::promote)
        .add(HttpMethod.POST, "/v1/models/{name}/rollback", Access.ADMIN, this::rollback)
        .add(HttpMethod.POST, "/v1/models/{name}/candidates", Access.ADMIN, this::startCandidate)
        .add(HttpMethod.GET, "/v1/models/{name}/candidates", Access.ADMIN, this::listCandidates)
        .add(HttpMethod.GET, "/v1/models/{name}/candidates/{id}", Access.ADMIN, this::candidate)
        .add(
            HttpMethod.POST,
            "/v1/models/{name}/candidates/{id}/cancel",
            Access.ADMIN,
            this::cancelCandidate)
        .add(
            HttpMethod.POST,
            "/v1/models/{name}/candidates/{id}/promote",
            Access.ADMIN,
            this::promoteCandidate);
  }

  /** {@code POST /v1/models/{name}/versions/{version}/promote}. */
  public void promote(RoutingContext ctx) {
    String name = name(ctx);
    String version = ctx.pathParam("version");
    try {
      StorageKeys.requireModelVersion(version);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_version", e.getMessage());
    }
    JsonObject body = optionalBody(ctx);
    boolean force = bool(body, "force");
    String reason = reason(body);
    String expected = text(body, "expectedCurrent");
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(
            () -> {
              try {
                return Promotions.promote(
                    store, cacheRoot, name, version, expected, actor, reason, force);
              } catch (InvalidPackageException e) {
                throw new ApiException(
                    409, "package_invalid", e.getMessage().replace("forcing", "\"force\": true"));
              }
            },
            false)
        .onSuccess(p -> Json.send(ctx, 200, RegistryJson.pointer(p).put("model", name)))
        .onFailure(ctx::fail);
  }

  /** {@code POST /v1/models/{name}/rollback}. */
  public void rollback(RoutingContext ctx) {
    String name = name(ctx);
    String reason = reason(optionalBody(ctx));
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(() -> store.rollback(name, actor, reason), false)
        .onSuccess(p -> Json.send(ctx, 200, RegistryJson.pointer(p).put("model", name)))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/models/{name}/candidates {"mode": "head"|"fine-tune", "since"?}} → 202 with the
   * job's state; 400 {@code not_enough_verdicts} saying what is missing; 409 {@code
   * candidate_running}.
   */
  public void startCandidate(RoutingContext ctx) {
    String name = name(ctx);
    JsonObject body = optionalBody(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("mode") && !field.equals("since")) {
        throw ApiException.badRequest(
            "invalid_field", "unknown field '" + field + "'; fields: mode, since");
      }
    }
    String modeText = text(body, "mode");
    CandidateMode mode =
        switch (modeText == null ? "head" : modeText) {
          case "head" -> CandidateMode.HEAD;
          case "fine-tune" -> CandidateMode.FINE_TUNE;
          default ->
              throw ApiException.badRequest("invalid_field", "'mode' must be head or fine-tune");
        };
    Instant since;
    try {
      String sinceText = text(body, "since");
      since = sinceText == null ? null : Instant.parse(sinceText);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          "invalid_field", "'since' must be an ISO-8601 instant such as 2026-12-01T00:00:00Z");
    }
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(() -> candidates.start(name, mode, since, actor), false)
        .onSuccess(state -> Json.send(ctx, 202, new JsonObject(state.toString())))
        .onFailure(ctx::fail);
  }

  /** {@code GET /v1/models/{name}/candidates} → {@code {"items": [...]}}, newest first. */
  public void listCandidates(RoutingContext ctx) {
    String name = name(ctx);
    io.executeBlocking(() -> candidates.list(name), false)
        .onSuccess(
            list -> {
              JsonArray items = new JsonArray();
              list.forEach(n -> items.add(new JsonObject(n.toString())));
              Json.send(ctx, 200, new JsonObject().put("items", items));
            })
        .onFailure(ctx::fail);
  }

  /**
   * {@code GET /v1/models/{name}/candidates/{id}}: state, progress and, when done, the evaluation.
   */
  public void candidate(RoutingContext ctx) {
    String name = name(ctx);
    String id = candidateId(ctx);
    io.executeBlocking(
            () ->
                withShadow(
                    name,
                    id,
                    candidates
                        .get(name, id)
                        .orElseThrow(
                            () ->
                                ApiException.notFound(
                                    "unknown_candidate",
                                    "model " + name + " has no candidate " + id))),
            false)
        .onSuccess(state -> Json.send(ctx, 200, state))
        .onFailure(ctx::fail);
  }

  /** The candidate's state with its shadow run, if it has one. */
  private JsonObject withShadow(String name, String id, JsonNode state) throws StorageException {
    JsonObject out = new JsonObject(state.toString());
    shadow.of(name, id).ifPresent(run -> out.put("shadow", new JsonObject(run.toString())));
    return out;
  }

  /** {@code POST /v1/models/{name}/candidates/{id}/cancel}; 409 {@code candidate_finished}. */
  public void cancelCandidate(RoutingContext ctx) {
    String name = name(ctx);
    String id = candidateId(ctx);
    io.executeBlocking(() -> candidates.cancel(name, id), false)
        .onSuccess(state -> Json.send(ctx, 200, new JsonObject(state.toString())))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /v1/models/{name}/candidates/{id}/promote {"force"?, "reason"?}}: 409 {@code
   * candidate_not_ready}, {@code candidate_not_better} (unless forced) or as a version promote.
   */
  public void promoteCandidate(RoutingContext ctx) {
    String name = name(ctx);
    String id = candidateId(ctx);
    JsonObject body = optionalBody(ctx);
    boolean force = bool(body, "force");
    String reason = reason(body);
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(
            () -> {
              try {
                return candidates.promote(name, id, force, actor, reason);
              } catch (InvalidPackageException e) {
                throw new ApiException(409, "package_invalid", e.getMessage());
              }
            },
            false)
        .onSuccess(
            p ->
                Json.send(
                    ctx, 200, RegistryJson.pointer(p).put("model", name).put("candidate", id)))
        .onFailure(ctx::fail);
  }

  private static String candidateId(RoutingContext ctx) {
    try {
      return Names.requireSegment("candidate id", ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_candidate", e.getMessage());
    }
  }

  private static String name(RoutingContext ctx) {
    try {
      return Names.requireSegment("model name", ctx.pathParam("name"));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_model", e.getMessage());
    }
  }

  private static JsonObject optionalBody(RoutingContext ctx) {
    return ctx.body() == null || ctx.body().length() == 0 ? new JsonObject() : Json.body(ctx);
  }

  private static boolean bool(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v != null && !(v instanceof Boolean)) {
      throw ApiException.badRequest("invalid_field", "'" + field + "' must be true or false");
    }
    return Boolean.TRUE.equals(v);
  }

  private static String text(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v != null && !(v instanceof String)) {
      throw ApiException.badRequest("invalid_field", "'" + field + "' must be a string");
    }
    return (String) v;
  }

  private static String reason(JsonObject body) {
    String reason = text(body, "reason");
    if (reason != null && reason.length() > 500) {
      throw ApiException.badRequest(
          "invalid_field", "'reason' must be at most 500 characters, got " + reason.length());
    }
    return reason == null ? "" : reason;
  }
}
