package org.cityvision.core.frame;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.cityvision.core.model.PooledFeatures;
import org.cityvision.core.naming.Names;

/**
 * One classification of a frame by one model version, stored at {@code
 * results/{frameId}/{model}/{version}.json}. The payload is the classifier's JSON (top-k, timings,
 * ...), kept opaque here so that storage does not depend on the classifier's types; it is what the
 * API shows.
 *
 * <p>The backbone's pooled features of the same forward pass, when kept ({@code features.keep}),
 * live in the same object beside the payload, so a result and its features are written, spooled,
 * replayed and deleted together: a result never exists without the features its classification
 * computed. They are for training candidates (docs/LEARNING.md) and never part of the payload.
 *
 * @param features the pooled features of the classified image, or {@code null}
 */
public record ResultRecord(
    String frameId,
    String model,
    String version,
    Instant classifiedAt,
    JsonNode payload,
    @JsonInclude(JsonInclude.Include.NON_NULL) PooledFeatures features) {
  public ResultRecord {
    FrameId.parse(frameId);
    Names.requireSegment("model", model);
    Names.requireDottedSegment("version", version);
    Objects.requireNonNull(classifiedAt, "classifiedAt");
    Objects.requireNonNull(payload, "payload");
    if (features != null
        && (!features.model().equals(model) || !features.version().equals(version))) {
      throw new IllegalArgumentException(
          "the features of a result of "
              + model
              + " "
              + version
              + " must come from that model version, got "
              + features);
    }
  }

  /** A result without features. */
  public ResultRecord(
      String frameId, String model, String version, Instant classifiedAt, JsonNode payload) {
    this(frameId, model, version, classifiedAt, payload, null);
  }

  /** The pooled features kept with this result, if any. */
  public Optional<PooledFeatures> pooledFeatures() {
    return Optional.ofNullable(features);
  }
}
