package org.cityvision.serving.auth;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.CameraScope;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.camera.CameraId;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/** {@code /v1/keys} (admin): create a key (shown once), list keys, delete a key. */
public final class KeyRoutes {
  private static final List<String> FIELDS =
      List.of("role", "name", "cameras", "cameraPrefix", "allowCaptureOverride");

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

  /**
   * {@code POST /v1/keys {"role", "name", "cameras"?, "cameraPrefix"?, "allowCaptureOverride"?}} →
   * 201 {@code {"name", "role", "key", "createdAt", ...}}; a camera key with {@code cameras} or
   * {@code cameraPrefix} may post only as those cameras; a key with {@code allowCaptureOverride}
   * may send {@code X-Capture} to {@code POST /v1/classify/{task}}.
   */
  public void create(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiException.badRequest(
            "invalid_request",
            "unknown field '" + clip(field) + "' in a key request; " + "fields: " + FIELDS);
      }
    }
    KeyRole role = role(body.getValue("role"));
    String name = name(body.getValue("name"));
    CameraScope scope = scope(body.getValue("cameras"), body.getValue("cameraPrefix"));
    if (scope.bound() && role != KeyRole.CAMERA) {
      throw ApiException.badRequest(
          "invalid_request",
          "only camera keys are bound to cameras; drop 'cameras' and "
              + "'cameraPrefix' for a "
              + role.name().toLowerCase(Locale.ROOT)
              + " key");
    }
    Object override = body.getValue("allowCaptureOverride", false);
    if (!(override instanceof Boolean allowCaptureOverride)) {
      throw ApiException.badRequest(
          "invalid_request", "allowCaptureOverride must be true or false");
    }
    io.executeBlocking(
            () -> {
              try {
                return keys.create(name, role, scope, allowCaptureOverride);
              } catch (ConflictException e) {
                throw new ApiException(409, "key_exists", "an API key named '" + name + "' exists");
              }
            },
            false)
        .onSuccess(
            created -> Json.send(ctx, 201, describe(created.record()).put("key", created.key())))
        .onFailure(ctx::fail);
  }

  /**
   * {@code GET /v1/keys} → {@code {"keys": [{"name", "role", "createdAt", "cameras"?,
   * "cameraPrefix"?, "warning"?}]}}: unbound camera keys carry a warning.
   */
  public void list(RoutingContext ctx) {
    io.executeBlocking(keys::list, false)
        .onSuccess(
            all -> {
              JsonArray out = new JsonArray();
              all.stream()
                  .sorted(Comparator.comparing(ApiKeyRecord::name))
                  .forEach(r -> out.add(describe(r)));
              Json.send(ctx, 200, new JsonObject().put("keys", out));
            })
        .onFailure(ctx::fail);
  }

  /** {@code DELETE /v1/keys/{name}} → 204, or 404. */
  public void delete(RoutingContext ctx) {
    String name = name(ctx.pathParam("name"));
    io.executeBlocking(
            () -> {
              try {
                return keys.delete(name);
              } catch (ApiKeys.LastAdminKeyException e) {
                throw new ApiException(409, "last_admin_key", e.getMessage());
              }
            },
            false)
        .onSuccess(
            deleted -> {
              if (deleted) {
                ctx.response().setStatusCode(204).end();
              } else {
                ctx.fail(ApiException.notFound("not_found", "no API key named '" + name + "'"));
              }
            })
        .onFailure(ctx::fail);
  }

  static JsonObject describe(ApiKeyRecord r) {
    JsonObject out =
        new JsonObject()
            .put("name", r.name())
            .put("role", r.role().name().toLowerCase(Locale.ROOT))
            .put("createdAt", r.createdAt().toString());
    if (!r.cameras().isEmpty()) {
      out.put("cameras", new JsonArray(r.cameras()));
    }
    if (r.cameraPrefix() != null) {
      out.put("cameraPrefix", r.cameraPrefix());
    }
    if (r.allowCaptureOverride()) {
      out.put("allowCaptureOverride", true);
    }
    unboundWarning(r).ifPresent(w -> out.put("warning", w));
    return out;
  }

  /** The warning for a camera key that may post as any camera. */
  public static Optional<String> unboundWarning(ApiKeyRecord r) {
    return r.role() == KeyRole.CAMERA && !r.scope().bound()
        ? Optional.of(
            "camera key not bound to cameras: it may post frames as any camera; create a bound"
                + " key (cameras or cameraPrefix) and delete this one")
        : Optional.empty();
  }

  private static CameraScope scope(Object cameras, Object prefix) {
    List<String> ids = new ArrayList<>();
    if (cameras != null) {
      if (!(cameras instanceof JsonArray array)) {
        throw ApiException.badRequest("invalid_cameras", "cameras must be an array of camera ids");
      }
      for (Object id : array) {
        if (!(id instanceof String s) || !CameraId.isValid(s)) {
          throw ApiException.badRequest(
              "invalid_cameras", "cameras must hold camera ids of " + CameraId.RULE);
        }
        ids.add(s);
      }
    }
    if (prefix != null && (!(prefix instanceof String p) || !CameraId.isValid(p))) {
      throw ApiException.badRequest(
          "invalid_camera_prefix", "cameraPrefix must be " + CameraId.RULE);
    }
    try {
      return new CameraScope(ids, (String) prefix);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_cameras", e.getMessage());
    }
  }

  private static String clip(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?");
    return p.length() > 40 ? p.substring(0, 40) : p;
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
    throw ApiException.badRequest(
        "invalid_role",
        "role must be one of camera, sorter, reviewer, admin; got "
            + (value == null ? "nothing" : "'" + value + "'"));
  }

  private static String name(Object value) {
    if (value instanceof String s && ApiKeys.isValidName(s)) {
      return s;
    }
    throw ApiException.badRequest("invalid_name", "name must be " + ApiKeys.NAME_RULE);
  }
}
