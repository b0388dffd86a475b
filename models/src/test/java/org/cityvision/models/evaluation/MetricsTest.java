package org.cityvision.models.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private static final List<String> LABELS = List.of("a", "b", "c");

  @Test
  void countsAccuracyPerClassScoresAndMacroF1() {
    int[] truth = {0, 0, 0, 1, 1, 2};
    float[][] p = {
      {0.9f, 0.05f, 0.05f},
      {0.8f, 0.1f, 0.1f},
      {0.2f, 0.7f, 0.1f},
      {0.1f, 0.8f, 0.1f},
      {0.1f, 0.2f, 0.7f},
      {0.1f, 0.1f, 0.8f}
    };

    Metrics m = Metrics.of(LABELS, truth, p);

    assertArrayEquals(new int[] {2, 1, 0}, m.confusion()[0]);
    assertArrayEquals(new int[] {0, 1, 1}, m.confusion()[1]);
    assertEquals(4.0 / 6, m.accuracy(), 1e-9);
    assertEquals(1.0, m.perClass().get(0).precision(), 1e-9);
    assertEquals(2.0 / 3, m.perClass().get(0).recall(), 1e-9);
    assertEquals(0.5, m.perClass().get(2).precision(), 1e-9);
    double f1a = 0.8;
    double f1b = 0.5;
    double f1c = 2 * 0.5 * 1.0 / 1.5;
    assertEquals((f1a + f1b + f1c) / 3, m.macroF1(), 1e-9);
  }

  @Test
  void calibrationErrorIsTheGapBetweenConfidenceAndAccuracy() {
    int[] truth = {0, 0, 0, 0};
    float[][] p = {{0.9f, 0.1f}, {0.9f, 0.1f}, {0.1f, 0.9f}, {0.1f, 0.9f}};

    Metrics m = Metrics.of(List.of("a", "b"), truth, p);

    // All four answered with confidence 0.9; half are right.
    assertEquals(0.4, m.ece(), 1e-6);
  }
}
