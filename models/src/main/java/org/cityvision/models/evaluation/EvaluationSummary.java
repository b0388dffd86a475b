package org.cityvision.models.evaluation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The evaluation of one model on one split: overall and per source.
 *
 * @param model the model's name
 * @param version its version
 * @param split which images ({@code test}, {@code val}, {@code all})
 * @param overall metrics over all of them
 * @param perSource metrics per source (the manifest's {@code source})
 */
public record EvaluationSummary(
    String model, String version, String split, Metrics overall, Map<String, Metrics> perSource) {
  public EvaluationSummary {
    perSource = new TreeMap<>(perSource);
  }

  public static EvaluationSummary of(
      String model, String version, String split, Predictions predictions) {
    Map<String, Metrics> perSource = new TreeMap<>();
    predictions.samples().stream()
        .map(s -> s.source())
        .distinct()
        .forEach(
            source ->
                perSource.put(source, predictions.where(s -> s.source().equals(source)).metrics()));
    return new EvaluationSummary(model, version, split, predictions.metrics(), perSource);
  }

  /** The JSON form written to {@code evaluation.json} and into {@code model.json}'s metrics. */
  public ObjectNode toJson() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("model", model);
    root.put("version", version);
    root.put("split", split);
    root.setAll(metricsJson(overall, true));
    if (perSource.size() > 1) {
      ObjectNode sources = root.putObject("perSource");
      perSource.forEach((source, m) -> sources.set(source, metricsJson(m, false)));
    }
    return root;
  }

  static ObjectNode metricsJson(Metrics m, boolean full) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("images", m.count());
    node.put("accuracy", round(m.accuracy()));
    node.put("macroF1", round(m.macroF1()));
    node.put("ece", round(m.ece()));
    node.put("nll", round(m.nll()));
    ObjectNode perClass = node.putObject("perClass");
    for (ClassMetrics c : m.perClass()) {
      if (!full && c.support() == 0 && predictedAs(m, c.label()) == 0) {
        continue;
      }
      ObjectNode cn = perClass.putObject(c.label());
      cn.put("precision", round(c.precision()));
      cn.put("recall", round(c.recall()));
      cn.put("f1", round(c.f1()));
      cn.put("support", c.support());
    }
    ObjectNode confusion = node.putObject("confusion");
    ArrayNode labels = confusion.putArray("labels");
    m.labels().forEach(labels::add);
    ArrayNode rows = confusion.putArray("rowsTruthColumnsPredicted");
    for (int[] row : m.confusion()) {
      ArrayNode r = rows.addArray();
      for (int v : row) {
        r.add(v);
      }
    }
    return node;
  }

  private static int predictedAs(Metrics m, String label) {
    int k = m.labels().indexOf(label);
    int n = 0;
    for (int[] row : m.confusion()) {
      n += row[k];
    }
    return n;
  }

  /** Four decimals: what reports show. */
  public static double round(double v) {
    return Math.round(v * 10000) / 10000.0;
  }
}
