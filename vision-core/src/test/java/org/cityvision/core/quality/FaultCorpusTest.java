package org.cityvision.core.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.cityvision.core.testing.SharedData;
import org.junit.jupiter.api.Test;

/**
 * The quality checks on street photos from ../shared/datasets (skipped without it): every fault
 * kind found on at least 95% of its frames, at most 1% false alarms on normal frames, black and
 * covered views found within three frames, and at most one false alert per simulated camera-week.
 * The corpus run is the one whose table docs/CAMERAS.md shows (16 cameras, seed 19).
 */
class FaultCorpusTest {
  @Test
  void faultsAreFoundAndNormalFramesAreLeftAlone() throws Exception {
    Path datasets = SharedData.dataset("urban").getParent();
    FaultCorpusRun run = new FaultCorpusRun();
    run.run(FaultCorpusRun.images(datasets, 16, 19), CameraHealthConfig.DEFAULTS, 19);
    System.out.print(run.table());
    for (var e : run.tallies.entrySet()) {
      FaultCorpus.Variant v = e.getKey();
      if (!v.normal()) {
        assertTrue(e.getValue().rate() >= 0.95, v + " recall " + e.getValue().rate());
      }
      if (v.expected == QualityFault.BLACK || v.expected == QualityFault.COVERED) {
        assertEquals(e.getValue().runs, e.getValue().firstDetections, v + " found in every run");
      }
    }
    assertTrue(run.normalFalseAlarmRate() <= 0.01, "false alarms " + run.normalFalseAlarmRate());
  }

  @Test
  void healthyCamerasRaiseAtMostOneFalseAlertPerWeek() throws Exception {
    Path datasets = SharedData.dataset("urban").getParent();
    CameraWeeks weeks = new CameraWeeks();
    weeks.run(
        FaultCorpusRun.images(datasets, 2, 37),
        Duration.ofMinutes(10),
        7,
        CameraHealthConfig.DEFAULTS,
        37);
    assertEquals(2, weeks.cameras);
    assertTrue(
        weeks.alertsPerCameraWeek(7) <= 1.0,
        weeks.falseAlerts + " false alerts " + weeks.alertsByFault);
  }
}
