package org.cityvision.serving.registry;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.Objects;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageKeys;
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

  /**
   * @param cacheRoot where verified packages are kept; a promote's verification fetches the version
   *     there, so this node's swap finds it ready
   */
  public RegistryRoutes(ModelStore store, WorkerExecutor io, Path cacheRoot) {
    this.store = Objects.requireNonNull(store, "store");
    this.io = Objects.requireNonNull(io, "io");
    this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot");
  }

  /** The registry area: admin keys only. */
  public ApiArea area() {
    return new ApiArea("registry")
        .add(HttpMethod.POST, "/v1/models/{name}/versions/{version}/promote", Access.ADMIN, this::promote)
        .add(HttpMethod.POST, "/v1/models/{name}/rollback", Access.ADMIN, this::rollback);
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
    io.executeBlocking(() -> {
      try {
        return Promotions.promote(store, cacheRoot, name, version, expected, actor, reason, force);
      } catch (InvalidPackageException e) {
        throw new ApiException(409, "package_invalid", e.getMessage().replace("forcing", "\"force\": true"));
      }
    }, false).onSuccess(p -> Json.send(ctx, 200, RegistryJson.pointer(p).put("model", name)))
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

  private static String name(RoutingContext ctx) {
    try {
      return StorageKeys.requireSegment("model name", ctx.pathParam("name"));
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
      throw ApiException.badRequest("invalid_field", "'reason' must be at most 500 characters, got "
          + reason.length());
    }
    return reason == null ? "" : reason;
  }
}
