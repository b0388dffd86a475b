package org.cityvision.core.quality;

import java.time.Instant;
import java.util.List;

/**
 * A change of a camera's {@link CameraCondition}, as it goes out to webhooks and into the camera's
 * history.
 *
 * @param at when it changed (the node's clock)
 * @param from the condition before
 * @param to the condition after
 * @param faults the confirmed faults after the change
 */
public record HealthTransition(
    Instant at, CameraCondition from, CameraCondition to, List<QualityFault> faults) {
  public HealthTransition {
    if (at == null || from == null || to == null) {
      throw new IllegalArgumentException("at, from and to are required");
    }
    if (from == to) {
      throw new IllegalArgumentException(
          "a transition changes the condition; got " + from + " to " + to);
    }
    faults = List.copyOf(faults);
  }

  /** Whether the camera came back to {@code ok} from a fault, a degradation or silence. */
  public boolean recovered() {
    return to == CameraCondition.OK;
  }
}
