package org.cityvision.serving.inference;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.TreeMap;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.model.ModelSpec;

/** The JSON shapes of classifications and models, shared by the sorting and camera paths. */
public final class Answers {
  private Answers() {}

  /** {@code label, score, top, model, version}. */
  public static JsonObject classification(Classification c) {
    JsonArray top = new JsonArray();
    for (LabelScore s : c.top()) {
      top.add(new JsonObject().put("label", s.label()).put("score", round(s.score())));
    }
    return new JsonObject()
        .put("label", c.label())
        .put("score", round(c.score()))
        .put("top", top)
        .put("model", c.model())
        .put("version", c.version());
  }

  /** Milliseconds spent in each stage, for clients that measure. */
  public static JsonObject timings(Inference inference, long totalNanos) {
    return new JsonObject()
        .put("decodeMs", ms(inference.decodeNanos()))
        .put("queueMs", ms(inference.queueNanos()))
        .put("inferenceMs", ms(inference.inferenceNanos()))
        .put("batchSize", inference.classification().batchSize())
        .put("totalMs", ms(totalNanos));
  }

  /** What a model card says: name, task, version, labels, input, thresholds, backbone, metrics. */
  public static JsonObject model(ModelSpec spec, boolean detailed) {
    JsonObject thresholds =
        new JsonObject().put("uncertainBelow", spec.thresholds().uncertainBelow());
    JsonObject flag = new JsonObject();
    new TreeMap<>(spec.thresholds().flag()).forEach(flag::put);
    thresholds.put("flag", flag);
    JsonObject out =
        new JsonObject()
            .put("name", spec.name())
            .put("task", spec.task())
            .put("version", spec.version())
            .put("labels", new JsonArray(spec.labels()))
            .put(
                "input",
                new JsonObject()
                    .put("width", spec.input().width())
                    .put("height", spec.input().height()))
            .put("backbone", spec.backbone().name())
            .put("thresholds", thresholds)
            .put("metrics", Json.decodeValue(spec.metrics().toString()));
    if (detailed) {
      out.put("training", Json.decodeValue(spec.training().toString()));
      out.put("gflopsPerImage", spec.backbone().gflopsPerImage());
    }
    return out;
  }

  static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }
}
