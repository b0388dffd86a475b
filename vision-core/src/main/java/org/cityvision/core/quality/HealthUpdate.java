package org.cityvision.core.quality;

import java.util.List;
import java.util.Optional;

/**
 * What one frame (or one silence check) did to a camera.
 *
 * @param state the camera's new state, to be stored
 * @param faults the faults this frame shows (what the ingest answer reports)
 * @param reuse the classified frame whose result this static frame may reuse; empty when it must be
 *     classified
 * @param transitions condition changes, oldest first (webhook events, history)
 */
public record HealthUpdate(
    CameraState state,
    List<QualityFault> faults,
    Optional<StaticReference> reuse,
    List<HealthTransition> transitions) {
  public HealthUpdate {
    if (state == null || reuse == null) {
      throw new IllegalArgumentException("state and reuse are required");
    }
    faults = List.copyOf(faults);
    transitions = List.copyOf(transitions);
  }

  /** Whether the frame showed nothing new and a recent result stands for it. */
  public boolean isStatic() {
    return reuse.isPresent();
  }
}
