package org.cityvision.core.batch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * The one JSON form of a job's progress, returned by {@code GET /v1/batch/{jobId}} and printed by
 * {@code cityvision batch --json}: {@code {"jobId", "state", "task", "prefix", "flag", "model",
 * "version", "total", "listed", "classified", "skipped", "failed", "failedBy": {kind: n},
 * "failures": [{"frameId", "kind", "reason"}], "rate", "etaSeconds", "stalled", "message",
 * "createdAt", "updatedAt"}}. {@code total} and {@code etaSeconds} are {@code null} while unknown.
 */
public final class BatchProgressJson {
  /** A running job silent for this long is reported as stalled (its node probably died). */
  public static final Duration STALL_AFTER = Duration.ofMinutes(1);

  private BatchProgressJson() {}

  public static ObjectNode toJson(BatchProgress p, Instant now) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("jobId", p.jobId());
    node.put("state", p.status().name().toLowerCase(Locale.ROOT));
    node.put("task", p.request().task());
    node.put("prefix", p.request().prefix());
    node.put("flag", p.request().flag());
    node.put("model", p.model());
    node.put("version", p.version());
    if (p.total() >= 0) {
      node.put("total", p.total());
    } else {
      node.putNull("total");
    }
    BatchCounts c = p.counts();
    node.put("listed", c.listed());
    node.put("classified", c.classified());
    node.put("skipped", c.skipped());
    node.put("failed", c.failed());
    ObjectNode by = node.putObject("failedBy");
    c.failedBy().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> by.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue()));
    ArrayNode failures = node.putArray("failures");
    for (FrameFailure f : p.failures()) {
      failures
          .addObject()
          .put("frameId", f.frameId())
          .put("kind", f.kind().name().toLowerCase(Locale.ROOT))
          .put("reason", f.reason());
    }
    node.put("rate", Math.round(p.rate() * 100) / 100.0);
    if (p.etaSeconds() >= 0 && !p.finished()) {
      node.put("etaSeconds", p.etaSeconds());
    } else {
      node.putNull("etaSeconds");
    }
    node.put("stalled", p.stalled(now, STALL_AFTER));
    node.put("message", p.message());
    node.put("createdAt", p.createdAt().toString());
    node.put("updatedAt", p.updatedAt().toString());
    return node;
  }
}
