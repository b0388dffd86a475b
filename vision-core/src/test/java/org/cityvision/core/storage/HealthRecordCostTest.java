package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The health record cost tool runs against a real embedded S3 server and reports every step. */
class HealthRecordCostTest {
  @TempDir Path dir;

  @Test
  void measuresEveryStepOfAHealthRecordChange() throws Exception {
    HealthRecordCost.Step[] steps = HealthRecordCost.measure(dir, 8);
    assertEquals(5, steps.length);
    for (HealthRecordCost.Step s : steps) {
      // The process CPU clock can tick in 10 ms steps: a few fast reads may add up to none.
      assertTrue(s.cpuMs() >= 0 && s.wallMs() > 0, s.toString());
    }
    // Eight list-read-update-write cycles take well over one tick.
    assertTrue(steps[0].cpuMs() > 0, steps[0].toString());
  }
}
