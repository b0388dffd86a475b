package org.cityvision.datasets.export;

import java.util.Map;
import java.util.TreeMap;

/**
 * What an export wrote and left out.
 *
 * @param perClass images written per class
 * @param reviewedFrames frames with a verdict in the window
 * @param rejectedLeftOut rejected frames not exported (no {@code includeRejectedAsNormal})
 * @param missingFrames frames whose image or flag is gone (retention) or corrupt
 */
public record ReviewExportReport(
    Map<String, Integer> perClass, int reviewedFrames, int rejectedLeftOut, int missingFrames) {
  public ReviewExportReport {
    perClass = Map.copyOf(perClass);
  }

  public int exported() {
    return perClass.values().stream().mapToInt(Integer::intValue).sum();
  }

  @Override
  public String toString() {
    return "exported "
        + exported()
        + " frames "
        + new TreeMap<>(perClass)
        + " of "
        + reviewedFrames
        + " reviewed; rejected left out "
        + rejectedLeftOut
        + "; missing "
        + missingFrames;
  }
}
