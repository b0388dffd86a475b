package org.cityvision.app.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.datasets.export.ReviewExport;
import org.cityvision.datasets.export.ReviewExportOptions;
import org.cityvision.datasets.export.ReviewExportReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cityvision export-reviews}: reviewers' verdicts as an ImageFolder dataset with a manifest,
 * which {@code cityvision train --extra DIR} reads. The store is the one {@code serve} uses: MinIO
 * from {@code CITYVISION_S3_*}, or the embedded store under {@code --data} (stop {@code serve}
 * first: one process at a time holds an embedded store's data directory).
 */
@Command(
    name = "export-reviews",
    mixinStandardHelpOptions = true,
    description =
        "Write confirmed and relabelled frames as an ImageFolder dataset with manifest.csv.")
public final class ExportReviewsCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "dataset folder to write")
  Path out;

  @Option(
      names = "--since",
      paramLabel = "T",
      description =
          "only frames whose last verdict is at or after T (ISO instant or yyyy-MM-dd, UTC)")
  String since;

  @Option(
      names = "--include-rejected-as-normal",
      description = "export rejected flags as class 'normal'")
  boolean rejectedAsNormal;

  @Option(names = "--overwrite", description = "replace an earlier export in --out")
  boolean overwrite;

  @Option(
      names = "--task",
      defaultValue = "urban",
      description = "manifest task column (default: ${DEFAULT-VALUE})")
  String task;

  @Option(
      names = "--license",
      defaultValue = "city-owned",
      description = "manifest license column (default: ${DEFAULT-VALUE})")
  String license;

  @Mixin KeysCommand.StoreOptions store;

  @Override
  public Integer call() throws Exception {
    ReviewExportOptions options =
        new ReviewExportOptions(
            out, parseSince(since), rejectedAsNormal, task, "normal", license, overwrite);
    // The same store `serve` uses: its configuration file, CITYVISION_S3_*, or the embedded one in
    // --data.
    try (StorageEndpoint endpoint = store.endpoint();
        FrameStore opened = store.open(endpoint)) {
      ReviewExportReport report =
          ReviewExport.run(
              opened,
              options,
              (done, total) -> {
                if (done == total || done % 50 == 0) {
                  System.err.printf("\rexport-reviews: %d/%d frames", done, total);
                  if (done == total) {
                    System.err.println();
                  }
                }
              });
      System.out.println(report + " -> " + out.toAbsolutePath());
      return 0;
    } catch (IllegalArgumentException e) {
      System.err.println("export-reviews: " + e.getMessage());
      return 2;
    }
  }

  static Instant parseSince(String value) {
    if (value == null) {
      return null;
    }
    try {
      return value.length() == 10
          ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant()
          : Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(new ExportReviewsCommand()),
          "--since must be an ISO instant (2025-06-01T00:00:00Z) or a date (2025-06-01), got "
              + value,
          e);
    }
  }
}
