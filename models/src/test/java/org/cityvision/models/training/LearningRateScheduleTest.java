package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
  @Test
  void warmUpRisesFromTenPercentThenCosineDecaysToFivePercent() {
    Tracker t = FineTuning.schedule(1e-4, 100, 10);
    assertEquals(1e-5, t.getNewValue(0), 1e-9);
    assertEquals(5.5e-5, t.getNewValue(5), 1e-9);
    assertEquals(1e-4, t.getNewValue(10), 1e-9);
    float previous = t.getNewValue(10);
    for (int step = 11; step <= 100; step++) {
      float now = t.getNewValue(step);
      assertTrue(now <= previous + 1e-12, "decays after the warm-up: step " + step);
      previous = now;
    }
    assertEquals(5e-6, t.getNewValue(100), 1e-9);
  }

  @Test
  void withoutWarmUpItStartsAtTheFullRate() {
    Tracker t = FineTuning.schedule(2e-4, 50, 0);
    assertEquals(2e-4, t.getNewValue(0), 1e-9);
    assertEquals(1e-5, t.getNewValue(50), 1e-9);
  }
}
