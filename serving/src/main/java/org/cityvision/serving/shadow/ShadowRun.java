package org.cityvision.serving.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A candidate's shadow run as the store keeps it ({@code models/{name}/shadows/{candidate}.json}):
 * which version runs, on what share of the live answers, since when, and whether it still runs.
 *
 * @param model the model whose live answers are sampled
 * @param candidate the candidate job's id
 * @param version the candidate's version in the store
 * @param rate the share of live answers the candidate also classifies, in (0, 1]
 * @param since when the run started; verdicts on frames answered since then score both models
 * @param startedBy the admin key that started it
 * @param active whether nodes run it
 * @param endedAt when it ended, or {@code null}
 * @param endedBy who ended it ({@code promotion} when the candidate became live), or {@code null}
 * @param endedReason why, or {@code null}
 */
public record ShadowRun(
    String model,
    String candidate,
    String version,
    double rate,
    Instant since,
    String startedBy,
    boolean active,
    Instant endedAt,
    String endedBy,
    String endedReason) {
  public ShadowRun {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(startedBy, "startedBy");
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("shadow rate must be in (0, 1], got " + rate);
    }
    if (active != (endedAt == null)) {
      throw new IllegalArgumentException(
          "a shadow run has an end time exactly when it is no longer active");
    }
  }

  /** A run that starts now. */
  static ShadowRun started(
      String model, String candidate, String version, double rate, Instant now, String by) {
    return new ShadowRun(model, candidate, version, rate, now, by, true, null, null, null);
  }

  /** Reads a stored run. */
  static ShadowRun of(JsonNode state) {
    boolean active = "active".equals(state.path("state").asText());
    return new ShadowRun(
        state.path("model").asText(),
        state.path("candidate").asText(),
        state.path("version").asText(),
        state.path("rate").asDouble(),
        Instant.parse(state.path("since").asText()),
        state.path("startedBy").asText(),
        active,
        active ? null : Instant.parse(state.path("endedAt").asText()),
        active ? null : state.path("endedBy").asText(null),
        active ? null : state.path("endedReason").asText(null));
  }

  /** This run, ended. */
  ObjectNode ended(Instant at, String by, String reason) {
    return new ShadowRun(model, candidate, version, rate, since, startedBy, false, at, by, reason)
        .toJson();
  }

  /** As stored. */
  ObjectNode toJson() {
    ObjectNode out =
        JsonNodeFactory.instance
            .objectNode()
            .put("model", model)
            .put("candidate", candidate)
            .put("version", version)
            .put("rate", rate)
            .put("since", since.toString())
            .put("startedBy", startedBy)
            .put("state", active ? "active" : "ended");
    if (!active) {
      out.put("endedAt", endedAt.toString())
          .put("endedBy", endedBy)
          .put("endedReason", endedReason);
    }
    return out;
  }
}
