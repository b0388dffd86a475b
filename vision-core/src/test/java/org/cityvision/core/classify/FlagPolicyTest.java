package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.cityvision.core.model.Thresholds;
import org.junit.jupiter.api.Test;

class FlagPolicyTest {
  private static final List<String> LABELS =
      List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal");
  private final FlagPolicy policy =
      new FlagPolicy(
          new Thresholds(
              0,
              Map.of(
                  "pothole_road_damage",
                  0.6,
                  "graffiti",
                  0.7,
                  "garbage_dumping",
                  0.5,
                  "flooding",
                  0.8)));

  private static Classification of(double... p) {
    List<Double> probabilities = Arrays.stream(p).boxed().toList();
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return new Classification(
        LABELS.get(best),
        p[best],
        List.of(new LabelScore(LABELS.get(best), p[best])),
        probabilities,
        LABELS,
        "urban",
        "1",
        1,
        Timings.NONE);
  }

  @Test
  void flagsIssueLabelThatReachesItsThreshold() {
    assertEquals("graffiti", policy.decide(of(0.05, 0.75, 0.1, 0.05, 0.05)).orElseThrow().label());
  }

  @Test
  void doesNotFlagIssueBelowItsThreshold() {
    assertTrue(policy.decide(of(0.05, 0.65, 0.1, 0.1, 0.1)).isEmpty());
  }

  @Test
  void neverFlagsNormal() {
    assertTrue(policy.decide(of(0.0, 0.0, 0.0, 0.0, 1.0)).isEmpty());
  }

  @Test
  void flagsLabelOutsideTopListWhenItPassesALowThreshold() {
    // garbage_dumping at 0.5 is not the top label (normal 0.5 ties first) but reaches its
    // threshold.
    assertEquals(
        "garbage_dumping", policy.decide(of(0.0, 0.0, 0.5, 0.0, 0.5)).orElseThrow().label());
  }
}
