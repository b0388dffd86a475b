package org.cityvision.serving.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One node's comparisons of one shadowed candidate with the live model: images compared, top-1
 * agreements, samples dropped because the shadow queue was full, images the candidate could not
 * classify, the confusion of live against candidate labels, and the two labels of the most recent
 * {@link #PREDICTIONS} stored frames (by frame id), so that a reviewer's later verdict scores both.
 *
 * <p>Thread-safe (every method synchronizes; the shadow worker records, request threads count
 * drops, the metrics and the report read).
 */
final class ShadowTally {
  /** Frames whose two labels are kept for scoring verdicts, per node and candidate. */
  static final int PREDICTIONS = 2_000;

  /** The live and the candidate label of one stored frame. */
  record Pair(String live, String candidate) {}

  private long compared;
  private long agreed;
  private long dropped;
  private long failed;
  private final Map<String, Map<String, Long>> confusion = new TreeMap<>();
  private final LinkedHashMap<String, Pair> predictions =
      new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pair> eldest) {
          return size() > PREDICTIONS;
        }
      };
  private boolean changed;

  /**
   * A tally that goes on from what this node wrote before ({@link #toJson}), e.g. before a restart.
   */
  static ShadowTally from(JsonNode stored) {
    ShadowTally t = new ShadowTally();
    if (stored == null) {
      return t;
    }
    t.compared = stored.path("compared").asLong();
    t.agreed = stored.path("agreed").asLong();
    t.dropped = stored.path("dropped").asLong();
    t.failed = stored.path("failed").asLong();
    for (Iterator<Map.Entry<String, JsonNode>> rows = stored.path("confusion").fields();
        rows.hasNext(); ) {
      Map.Entry<String, JsonNode> row = rows.next();
      row.getValue()
          .fields()
          .forEachRemaining(
              c ->
                  t.confusion
                      .computeIfAbsent(row.getKey(), k -> new TreeMap<>())
                      .put(c.getKey(), c.getValue().asLong()));
    }
    stored
        .path("predictions")
        .fields()
        .forEachRemaining(
            p ->
                t.predictions.put(
                    p.getKey(),
                    new Pair(
                        p.getValue().path("live").asText(),
                        p.getValue().path("candidate").asText())));
    return t;
  }

  /**
   * One image classified by both; {@code frameId} is {@code null} for an answer that stored no
   * frame.
   */
  synchronized void compared(String live, String candidate, String frameId) {
    compared++;
    if (live.equals(candidate)) {
      agreed++;
    }
    confusion.computeIfAbsent(live, k -> new TreeMap<>()).merge(candidate, 1L, Long::sum);
    if (frameId != null) {
      predictions.put(frameId, new Pair(live, candidate));
    }
    changed = true;
  }

  synchronized void drop() {
    dropped++;
    changed = true;
  }

  synchronized void fail() {
    failed++;
    changed = true;
  }

  synchronized long compared() {
    return compared;
  }

  synchronized long agreed() {
    return agreed;
  }

  synchronized long dropped() {
    return dropped;
  }

  /** Whether anything was counted since the last {@link #toJson}. */
  synchronized boolean changed() {
    return changed;
  }

  /** What this node writes to the store; clears {@link #changed()}. */
  synchronized ObjectNode toJson() {
    ObjectNode out =
        JsonNodeFactory.instance
            .objectNode()
            .put("compared", compared)
            .put("agreed", agreed)
            .put("dropped", dropped)
            .put("failed", failed);
    ObjectNode rows = out.putObject("confusion");
    confusion.forEach(
        (live, row) -> {
          ObjectNode r = rows.putObject(live);
          row.forEach(r::put);
        });
    ObjectNode p = out.putObject("predictions");
    predictions.forEach(
        (frame, pair) ->
            p.putObject(frame).put("live", pair.live()).put("candidate", pair.candidate()));
    changed = false;
    return out;
  }
}
