package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.cityvision.core.model.Thresholds;
import org.junit.jupiter.api.Test;

class UncertaintyPolicyTest {
  private static Classification top(double score) {
    return new Classification(
        "plastic",
        score,
        List.of(new LabelScore("plastic", score)),
        List.of(score, 1 - score),
        List.of("plastic", "paper"),
        "waste",
        "1.0.0",
        1,
        Timings.NONE);
  }

  @Test
  void aTopScoreBelowTheThresholdIsUncertainAndOneAtItIsNot() {
    UncertaintyPolicy policy = new UncertaintyPolicy(new Thresholds(0.6, Map.of()));

    assertTrue(policy.uncertain(top(0.59)));
    assertFalse(policy.uncertain(top(0.6)));
  }

  @Test
  void aZeroThresholdTurnsTheRuleOff() {
    assertFalse(new UncertaintyPolicy(Thresholds.NONE).uncertain(top(0.01)));
  }
}
