package org.cityvision.serving.registry;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import org.cityvision.core.storage.ModelLabel;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/**
 * A taxonomy that grows ({@link ModelLabels}):
 *
 * <ul>
 *   <li>{@code POST /v1/models/{name}/labels {"label", "description"?}} (admin) → 201 with the
 *       label and the model's labels; 400 {@code invalid_label} or {@code invalid_field}, 404
 *       {@code unknown_model}, 409 {@code label_exists}.
 *   <li>{@code GET /v1/models/{name}/labels} (any key) → {@code {"model", "labels": [{"label",
 *       "source", ...}]}}, package labels first.
 * </ul>
 *
 * <p>Store calls run on the {@code io} executor. Owns nothing.
 */
public final class LabelRoutes {
  private final ModelLabels labels;
  private final WorkerExecutor io;

  public LabelRoutes(ModelLabels labels, WorkerExecutor io) {
    this.labels = Objects.requireNonNull(labels, "labels");
    this.io = Objects.requireNonNull(io, "io");
  }

  public ApiArea area() {
    return new ApiArea("labels")
        .add(HttpMethod.POST, "/v1/models/{name}/labels", Access.ADMIN, this::add)
        .add(HttpMethod.GET, "/v1/models/{name}/labels", Access.ANY_KEY, this::list);
  }

  /** {@code POST /v1/models/{name}/labels}. */
  public void add(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("label") && !field.equals("description")) {
        throw ApiException.badRequest(
            "invalid_field", "unknown field '" + field + "'; fields: label, description");
      }
    }
    if (!(body.getValue("label") instanceof String label)) {
      throw ApiException.badRequest(
          "invalid_label", "'label' is required: 1-64 characters of [A-Za-z0-9_-]");
    }
    Object description = body.getValue("description");
    if (description != null && !(description instanceof String)) {
      throw ApiException.badRequest("invalid_field", "'description' must be a string");
    }
    String actor = Authenticator.principal(ctx).name();
    io.executeBlocking(
            () -> {
              ModelLabel added = labels.add(name, label, (String) description, actor);
              return new JsonObject()
                  .put("model", name)
                  .put(
                      "label",
                      new JsonObject()
                          .put("label", added.label())
                          .put("source", "added")
                          .put("description", added.description())
                          .put("addedBy", added.addedBy())
                          .put("addedAt", added.addedAt().toString()))
                  .put("labels", rows(name));
            },
            false)
        .onSuccess(out -> Json.send(ctx, 201, out))
        .onFailure(ctx::fail);
  }

  /** {@code GET /v1/models/{name}/labels}. */
  public void list(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    io.executeBlocking(() -> new JsonObject().put("model", name).put("labels", rows(name)), false)
        .onSuccess(out -> Json.send(ctx, 200, out))
        .onFailure(ctx::fail);
  }

  private JsonArray rows(String name) throws StorageException {
    JsonArray out = new JsonArray();
    labels.describe(name).forEach(row -> out.add(new JsonObject(row)));
    return out;
  }
}
