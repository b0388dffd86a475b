package org.cityvision.serving.inference;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.UncertaintyPolicy;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.http.RequestLog;

/**
 * {@code POST /v1/classify/{task}}: the sorting machines' synchronous path. Nothing is stored. The
 * model is looked up once per request; {@code uncertain} is the model's {@link UncertaintyPolicy}
 * (the machine should divert the item rather than sort it).
 */
public final class ClassifyRoutes {
  private static final Pattern TASK = Pattern.compile("[a-z0-9_-]{1,64}");
  /** Sorting machines may send WebP too: nothing is stored. */
  private static final Set<ImageFormat> ALL_FORMATS = EnumSet.allOf(ImageFormat.class);

  private final InferenceService inference;

  public ClassifyRoutes(InferenceService inference) {
    this.inference = inference;
  }

  /** The sorting machines' area: sorter keys. */
  public ApiArea area() {
    return new ApiArea("classify").add(HttpMethod.POST, "/v1/classify/{task}", Access.role(KeyRole.SORTER),
        this::classify);
  }

  public void classify(RoutingContext ctx) {
    long start = System.nanoTime();
    String task = ctx.pathParam("task");
    if (task == null || !TASK.matcher(task).matches()) {
      throw new UnknownTaskException("unknown task");
    }
    ServedModel model = inference.model(task);
    byte[] body = Bodies.rawImage(ctx);
    inference.classify(model, body, 0, 0, ALL_FORMATS).onSuccess(result -> {
      Classification c = result.classification();
      JsonObject answer = new JsonObject().put("task", task).mergeIn(Answers.classification(c));
      answer.put("uncertain", new UncertaintyPolicy(model.spec().thresholds()).uncertain(c));
      answer.put("timings", Answers.timings(result, System.nanoTime() - start));
      answer.put("requestId", RequestLog.requestId(ctx));
      Json.send(ctx, 200, answer);
    }).onFailure(ctx::fail);
  }
}
