package org.cityvision.serving.review.open311;

import java.util.Objects;

/**
 * What pushing one confirmed flag did.
 *
 * @param serviceRequestId the city's id for the request (or the GeoReport {@code token} while the
 *     city has not assigned one), {@code null} unless submitted
 * @param detail why it was skipped or failed, else {@code null}
 */
public record Open311Outcome(String frameId, State state, String serviceRequestId, String detail) {
  /** Where a flag stands with the city's system. */
  public enum State {
    /** Sent now; the city answered with an id or token. */
    SUBMITTED,
    /** Sent before (by this node or another); nothing sent now. */
    ALREADY_SUBMITTED,
    /**
     * Not sendable: not confirmed, no service code for its label, or no position for its camera.
     */
    SKIPPED,
    /** The city's endpoint refused or did not answer; a later push tries again. */
    FAILED
  }

  public Open311Outcome {
    Objects.requireNonNull(frameId, "frameId");
    Objects.requireNonNull(state, "state");
  }
}
