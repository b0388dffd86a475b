package org.cityvision.serving.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.datasets.export.ReviewExport;

/**
 * A shadow run as {@code GET /v1/models/{name}/candidates/{id}} shows it: the run, and every node's
 * comparisons added up ({@code compared}, {@code agreed}, {@code agreement}, {@code dropped}, the
 * confusion of live against candidate labels), with the verdicts reviewers gave on frames the
 * candidate classified scored for both models: a verdict's label is the flagged label when
 * confirmed, the reviewer's label when relabelled, and {@code normal} when rejected (for a model
 * that has that label; otherwise the verdict scores nothing). Stateless; reads the store.
 */
public final class ShadowReport {
  private final FrameStore store;

  public ShadowReport(FrameStore store) {
    this.store = store;
  }

  /**
   * The run of a candidate with every node's comparisons, or empty when it was never shadowed.
   * Blocking: reads the run, the nodes' comparisons and the verdicts given since the run started.
   *
   * @param labels the live model's labels (whether a rejected verdict means {@code normal})
   */
  public Optional<ObjectNode> describe(String model, String candidate, List<String> labels)
      throws StorageException {
    Optional<JsonNode> stored = store.models().shadow(model, candidate);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    ShadowRun run = ShadowRun.of(stored.get());
    ObjectNode out = run.toJson();
    out.remove(List.of("model", "candidate"));
    long compared = 0;
    long agreed = 0;
    long dropped = 0;
    long failed = 0;
    Map<String, Map<String, Long>> confusion = new TreeMap<>();
    Map<String, ShadowTally.Pair> predictions = new HashMap<>();
    List<ObjectNode> nodes = new ArrayList<>();
    for (JsonNode node : store.models().shadowNodes(model, candidate)) {
      compared += node.path("compared").asLong();
      agreed += node.path("agreed").asLong();
      dropped += node.path("dropped").asLong();
      failed += node.path("failed").asLong();
      node.path("confusion")
          .fields()
          .forEachRemaining(
              row ->
                  row.getValue()
                      .fields()
                      .forEachRemaining(
                          c ->
                              confusion
                                  .computeIfAbsent(row.getKey(), k -> new TreeMap<>())
                                  .merge(c.getKey(), c.getValue().asLong(), Long::sum)));
      node.path("predictions")
          .fields()
          .forEachRemaining(
              p ->
                  predictions.put(
                      p.getKey(),
                      new ShadowTally.Pair(
                          p.getValue().path("live").asText(),
                          p.getValue().path("candidate").asText())));
      ObjectNode n =
          JsonNodeFactory.instance
              .objectNode()
              .put("node", node.path("node").asText())
              .put("loaded", node.path("loaded").asBoolean())
              .put("compared", node.path("compared").asLong())
              .put("agreed", node.path("agreed").asLong())
              .put("dropped", node.path("dropped").asLong())
              .put("failed", node.path("failed").asLong())
              .put("updatedAt", node.path("updatedAt").asText(null));
      if (node.hasNonNull("error") && !node.path("loaded").asBoolean()) {
        n.put("error", node.path("error").asText());
      }
      nodes.add(n);
    }
    out.put("compared", compared).put("agreed", agreed);
    if (compared > 0) {
      out.put("agreement", (double) agreed / compared);
    } else {
      out.putNull("agreement");
    }
    out.put("dropped", dropped).put("failed", failed);
    out.set("verdicts", verdicts(run, predictions, labels));
    ObjectNode rows = out.putObject("confusion");
    confusion.forEach(
        (live, row) -> {
          ObjectNode r = rows.putObject(live);
          row.forEach(r::put);
        });
    out.putArray("nodes").addAll(nodes);
    return Optional.of(out);
  }

  private ObjectNode verdicts(
      ShadowRun run, Map<String, ShadowTally.Pair> predictions, List<String> labels)
      throws StorageException {
    int n = 0;
    int live = 0;
    int candidate = 0;
    if (!predictions.isEmpty()) {
      for (ReviewRecord r : ReviewExport.latestVerdicts(store, run.since()).values()) {
        ShadowTally.Pair p = predictions.get(r.frameId());
        String truth =
            switch (r.verdict()) {
              case CONFIRM -> r.flaggedLabel();
              case RELABEL -> r.label();
              case REJECT -> labels.contains("normal") ? "normal" : null;
              case REOPEN -> null; // latestVerdicts leaves taken-back verdicts out
            };
        if (p == null || truth == null || !run.model().equals(r.model())) {
          continue;
        }
        n++;
        live += truth.equals(p.live()) ? 1 : 0;
        candidate += truth.equals(p.candidate()) ? 1 : 0;
      }
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode().put("n", n);
    if (n > 0) {
      out.put("liveAccuracy", (double) live / n).put("candidateAccuracy", (double) candidate / n);
    } else {
      out.putNull("liveAccuracy").putNull("candidateAccuracy");
    }
    return out;
  }
}
