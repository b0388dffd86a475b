package org.cityvision.datasets.export;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.model.Task;
import org.cityvision.core.naming.Names;

/**
 * What {@link ReviewExport} writes.
 *
 * @param out the dataset folder: {@code out/<class>/<frameId>.jpg} and {@code out/manifest.csv}
 * @param since only frames whose last verdict is at or after this instant, or {@code null} for all
 * @param includeRejectedAsNormal export rejected flags as class {@code normalLabel} (the model was
 *     wrong to flag them: they are examples of "nothing to report")
 * @param task the manifest's {@code task} column, the task of the model that flagged the frames
 * @param normalLabel the class of rejected frames
 * @param license the manifest's {@code license} column for the city's own frames
 * @param overwrite replace an earlier export in {@code out} (its listed files are deleted first)
 */
public record ReviewExportOptions(
    Path out,
    Instant since,
    boolean includeRejectedAsNormal,
    String task,
    String normalLabel,
    String license,
    boolean overwrite) {
  public ReviewExportOptions {
    Objects.requireNonNull(out, "out");
    Names.requireSegment("task", task);
    Names.requireSegment("normalLabel", normalLabel);
    if (license == null || license.isBlank() || license.contains("\n")) {
      throw new IllegalArgumentException("license must be one non-blank line");
    }
  }

  /** Confirmed and relabelled frames of every verdict, urban task, into a new folder. */
  public static ReviewExportOptions to(Path out) {
    return new ReviewExportOptions(
        out, null, false, Task.URBAN.id(), "normal", "city-owned", false);
  }

  public ReviewExportOptions withSince(Instant value) {
    return new ReviewExportOptions(
        out, value, includeRejectedAsNormal, task, normalLabel, license, overwrite);
  }

  public ReviewExportOptions withRejectedAsNormal(boolean value) {
    return new ReviewExportOptions(out, since, value, task, normalLabel, license, overwrite);
  }

  public ReviewExportOptions withOverwrite(boolean value) {
    return new ReviewExportOptions(
        out, since, includeRejectedAsNormal, task, normalLabel, license, value);
  }
}
