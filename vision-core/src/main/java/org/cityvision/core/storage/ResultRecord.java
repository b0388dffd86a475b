package org.cityvision.core.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One classification of a frame by one model version, stored at {@code
 * results/{frameId}/{model}/{version}.json}. The payload is the classifier's JSON (top-k, timings,
 * ...), kept opaque here so that storage does not depend on the classifier's types.
 */
public record ResultRecord(
    String frameId, String model, String version, Instant classifiedAt, JsonNode payload) {
  public ResultRecord {
    FrameId.parse(frameId);
    StorageKeys.requireSegment("model", model);
    StorageKeys.requireDottedSegment("version", version);
    Objects.requireNonNull(classifiedAt, "classifiedAt");
    Objects.requireNonNull(payload, "payload");
  }
}
