package org.cityvision.core.model;

import java.util.Map;

/**
 * Decision thresholds chosen on validation data.
 *
 * @param uncertainBelow a top score below this is reported as {@code uncertain} (sorting machines);
 *     0 disables it
 * @param flag per-label score at or above which a frame is flagged for review (camera frames);
 *     labels absent from the map never flag (for example {@code normal})
 */
public record Thresholds(double uncertainBelow, Map<String, Double> flag) {
  public static final Thresholds NONE = new Thresholds(0, Map.of());

  public Thresholds {
    if (uncertainBelow < 0 || uncertainBelow > 1) {
      throw new IllegalArgumentException("uncertainBelow must be in [0, 1], got " + uncertainBelow);
    }
    flag = flag == null ? Map.of() : Map.copyOf(flag);
    flag.forEach(
        (label, t) -> {
          if (t == null || t < 0 || t > 1) {
            throw new IllegalArgumentException(
                "flag threshold for '" + label + "' must be in [0, 1], got " + t);
          }
        });
  }

  /** Whether a top score is below {@code uncertainBelow} (never when it is 0). */
  public boolean uncertain(double topScore) {
    return uncertainBelow > 0 && topScore < uncertainBelow;
  }
}
