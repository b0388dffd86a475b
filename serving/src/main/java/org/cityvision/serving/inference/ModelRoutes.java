package org.cityvision.serving.inference;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/** {@code GET /v1/models} and {@code GET /v1/models/{name}}: what each loaded model is and how it scored. */
public final class ModelRoutes {
  private final ModelRegistry models;

  public ModelRoutes(ModelRegistry models) {
    this.models = models;
  }

  /** Any key may read the model cards. */
  public ApiArea area() {
    return new ApiArea("models")
        .add(HttpMethod.GET, "/v1/models", Access.ANY_KEY, this::list)
        .add(HttpMethod.GET, "/v1/models/{name}", Access.ANY_KEY, this::get);
  }

  public void list(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    models.all().forEach(m -> out.add(Answers.model(m.spec(), false)));
    JsonObject missing = new JsonObject();
    models.missing().forEach((task, why) -> missing.put(task, "not loaded"));
    Json.send(ctx, 200, new JsonObject().put("models", out).put("unavailable", missing));
  }

  public void get(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    ServedModel model = models.named(name).orElseThrow(() -> ApiException.notFound("unknown_model",
        "no model of that name is loaded"));
    Json.send(ctx, 200, Answers.model(model.spec(), true));
  }
}
