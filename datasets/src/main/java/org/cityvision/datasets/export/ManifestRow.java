package org.cityvision.datasets.export;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One line of an exported {@code manifest.csv}: the columns of {@code
 * ../shared/datasets/manifest.csv} ({@code task,class,file,source,license}) and where the example
 * came from.
 *
 * @param file the image's name inside its class folder
 * @param originalLabel what the model flagged
 * @param verdict {@code confirm}, {@code relabel} or {@code reject}
 */
public record ManifestRow(
    String task,
    String className,
    String file,
    String source,
    String license,
    String originalLabel,
    double originalScore,
    String model,
    String modelVersion,
    String verdict,
    String reviewer,
    Instant reviewedAt,
    String cameraId,
    String frameId) {
  public static final List<String> HEADER =
      List.of(
          "task",
          "class",
          "file",
          "source",
          "license",
          "original_label",
          "original_score",
          "model",
          "model_version",
          "verdict",
          "reviewer",
          "reviewed_at",
          "camera_id",
          "frame_id");

  public ManifestRow {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(className, "className");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(reviewedAt, "reviewedAt");
  }

  /** The row as CSV (RFC 4180 quoting where needed), without the line end. */
  public String csv() {
    List<String> cells =
        List.of(
            task,
            className,
            file,
            source,
            license,
            originalLabel,
            String.format(Locale.ROOT, "%.6f", originalScore),
            model,
            modelVersion,
            verdict,
            reviewer,
            reviewedAt.toString(),
            cameraId,
            frameId);
    return String.join(",", cells.stream().map(ManifestRow::quote).toList());
  }

  /** {@code cell} as one CSV field: quoted, with its quotes doubled, when it needs to be. */
  public static String quote(String cell) {
    if (cell.contains(",") || cell.contains("\"") || cell.contains("\n") || cell.contains("\r")) {
      return "\"" + cell.replace("\"", "\"\"") + "\"";
    }
    return cell;
  }
}
