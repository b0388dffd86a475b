package org.cityvision.core.classify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one JSON form of a classification, as stored in {@code results/} and returned by the API:
 * {@code {"model", "version", "label", "score", "top": [{"label", "score"}], "probabilities":
 * {label: p}, "batchSize", "timingsMs": {"decode", "preprocess", "queue", "inference"}}}. Live
 * ingest, batch jobs and the Spark job all write it through here.
 */
public final class ClassificationJson {
  private ClassificationJson() {}

  public static ObjectNode toJson(Classification c) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("model", c.model());
    node.put("version", c.version());
    node.put("label", c.label());
    node.put("score", round(c.score()));
    ArrayNode top = node.putArray("top");
    for (LabelScore s : c.top()) {
      top.addObject().put("label", s.label()).put("score", round(s.score()));
    }
    ObjectNode probabilities = node.putObject("probabilities");
    for (int i = 0; i < c.labels().size(); i++) {
      probabilities.put(c.labels().get(i), round(c.probabilities().get(i)));
    }
    node.put("batchSize", c.batchSize());
    ObjectNode timings = node.putObject("timingsMs");
    timings.put("decode", c.timings().decodeNanos() / 1e6);
    timings.put("preprocess", c.timings().preprocessNanos() / 1e6);
    timings.put("queue", c.timings().queueNanos() / 1e6);
    timings.put("inference", c.timings().inferenceNanos() / 1e6);
    return node;
  }

  /** Six decimals: enough to compare runs to 1e-5, short enough to read. */
  private static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }
}
