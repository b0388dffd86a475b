package org.cityvision.serving.inference;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.http.RequestLog;

/**
 * {@code POST /v1/classify/{task}}: the sorting machines' synchronous path. Nothing is stored. For
 * {@code waste}, {@code uncertain} is true when the top score is below the model's {@code
 * uncertainBelow} threshold (the machine should divert the item rather than sort it).
 */
public final class ClassifyRoutes {
  private static final Pattern TASK = Pattern.compile("[a-z0-9_-]{1,64}");

  private final InferenceService inference;

  public ClassifyRoutes(InferenceService inference) {
    this.inference = inference;
  }

  public void classify(RoutingContext ctx) {
    long start = System.nanoTime();
    String task = ctx.pathParam("task");
    if (task == null || !TASK.matcher(task).matches()) {
      throw ApiException.notFound("unknown_task", "unknown task");
    }
    inference.model(task);
    byte[] body = Bodies.rawImage(ctx);
    inference.classify(task, body, 0, 0, true).onSuccess(result -> {
      Classification c = result.classification();
      ModelSpec spec = result.model().spec();
      JsonObject answer = new JsonObject().put("task", task).mergeIn(Answers.classification(c));
      answer.put("uncertain", uncertain(spec, c));
      answer.put("timings", Answers.timings(result, System.nanoTime() - start));
      answer.put("requestId", RequestLog.requestId(ctx));
      Json.send(ctx, 200, answer);
    }).onFailure(ctx::fail);
  }

  /** Below the model's {@code uncertainBelow} (0 disables it). */
  static boolean uncertain(ModelSpec spec, Classification c) {
    return spec.thresholds().uncertain(c.score());
  }
}
