package org.cityvision.models.candidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScoresTest {
  @Test
  void wilsonIntervalMatchesTheTextbookValues() {
    Scores.Interval i = Scores.wilson(8, 10);
    assertEquals(0.4902, i.low(), 1e-3);
    assertEquals(0.9433, i.high(), 1e-3);
    Scores.Interval all = Scores.wilson(20, 20);
    assertEquals(1.0, all.high(), 1e-9);
    assertEquals(0.8389, all.low(), 1e-3);
  }

  @Test
  void macroF1IntervalRepeatsAndContainsTheEstimate() {
    int[] truth = new int[60];
    float[][] p = new float[60][];
    for (int i = 0; i < 60; i++) {
      truth[i] = i % 3;
      int predicted = i % 7 == 0 ? (truth[i] + 1) % 3 : truth[i];
      p[i] = new float[3];
      p[i][predicted] = 1;
    }
    Scores a = Scores.of(List.of("a", "b", "c"), truth, p);
    Scores b = Scores.of(List.of("a", "b", "c"), truth, p);

    assertEquals(a.macroF195(), b.macroF195());
    assertTrue(
        a.macroF195().low() <= a.macroF1() && a.macroF1() <= a.macroF195().high(), a.toString());
    assertTrue(
        a.macroF195().high() - a.macroF195().low() > 0.02, "a real interval: " + a.macroF195());
    assertEquals(51, a.correct());
  }
}
