package org.cityvision.serving.auth;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Comparator;
import java.util.Locale;
import org.cityvision.core.storage.ApiKeyRecord;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/** {@code /v1/keys} (admin): create a key (shown once), list keys, delete a key. */
public final class KeyRoutes {
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final ApiKeys keys;
  private final WorkerExecutor io;

  public KeyRoutes(ApiKeys keys, WorkerExecutor io) {
    this.keys = keys;
    this.io = io;
  }

  /** The keys area: admin keys only. */
  public ApiArea area() {
    return new ApiArea("keys")
        .add(HttpMethod.POST, "/v1/keys", Access.ADMIN, this::create)
        .add(HttpMethod.GET, "/v1/keys", Access.ADMIN, this::list)
        .add(HttpMethod.DELETE, "/v1/keys/{name}", Access.ADMIN, this::delete);
  }

  /** {@code POST /v1/keys {"role", "name"}} → 201 {@code {"name", "role", "key", "createdAt"}}. */
  public void create(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    KeyRole role = role(body.getValue("role"));
    String name = name(body.getValue("name"));
    io.executeBlocking(() -> {
      try {
        return keys.create(name, role);
      } catch (ConflictException e) {
        throw new ApiException(409, "key_exists", "an API key named '" + name + "' exists");
      }
    }, false).onSuccess(created -> Json.send(ctx, 201, describe(created.record()).put("key", created.key())))
        .onFailure(ctx::fail);
  }

  /** {@code GET /v1/keys} → {@code {"keys": [{"name", "role", "createdAt"}]}}. */
  public void list(RoutingContext ctx) {
    io.executeBlocking(keys::list, false).onSuccess(all -> {
      JsonArray out = new JsonArray();
      all.stream().sorted(Comparator.comparing(ApiKeyRecord::name)).forEach(r -> out.add(describe(r)));
      Json.send(ctx, 200, new JsonObject().put("keys", out));
    }).onFailure(ctx::fail);
  }

  /** {@code DELETE /v1/keys/{name}} → 204, or 404. */
  public void delete(RoutingContext ctx) {
    String name = name(ctx.pathParam("name"));
    io.executeBlocking(() -> keys.delete(name), false).onSuccess(deleted -> {
      if (deleted) {
        ctx.response().setStatusCode(204).end();
      } else {
        ctx.fail(ApiException.notFound("not_found", "no API key named '" + name + "'"));
      }
    }).onFailure(ctx::fail);
  }

  static JsonObject describe(ApiKeyRecord r) {
    return new JsonObject().put("name", r.name()).put("role", r.role().name().toLowerCase(Locale.ROOT))
        .put("createdAt", r.createdAt().toString());
  }

  /** Parses a role name as the API and CLI write it: {@code camera}, {@code sorter}, ... */
  public static KeyRole role(Object value) {
    if (value instanceof String s) {
      for (KeyRole r : KeyRole.values()) {
        if (r.name().equalsIgnoreCase(s.strip())) {
          return r;
        }
      }
    }
    throw ApiException.badRequest("invalid_role", "role must be one of camera, sorter, reviewer, admin; got "
        + (value == null ? "nothing" : "'" + value + "'"));
  }

  private static String name(Object value) {
    if (value instanceof String s && NAME.matcher(s).matches()) {
      return s;
    }
    throw ApiException.badRequest("invalid_name", "name must be 1-64 characters of [A-Za-z0-9_-]");
  }
}
