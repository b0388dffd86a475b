package org.cityvision.datasets.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.FrameData;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;

/**
 * Writes reviewed frames as an ImageFolder dataset: {@code out/<class>/<frameId>.jpg} and {@code
 * out/manifest.csv} ({@link ManifestRow#HEADER}), which training reads as extra data.
 *
 * <p>Which frames: those whose last verdict falls in the window ({@link
 * ReviewExportOptions#since()}). Which class: the flag's current state decides, so a verdict that
 * was overridden counts as the override says: confirmed → the label the model flagged; relabelled →
 * the reviewer's label; rejected → {@code normal}, only when asked. Frames already removed by
 * retention are counted as missing, not fatal.
 *
 * <p>Plain blocking Java; the store is the caller's. Images are written through a temporary file
 * and moved into place, and the manifest is written last, so a folder with a manifest holds every
 * image it lists.
 */
public final class ReviewExport {
  /** The manifest's {@code source} column for frames from the city's cameras. */
  public static final String SOURCE = "cityvision-review";

  public static final String MANIFEST = "manifest.csv";

  private ReviewExport() {}

  /** Hears of each frame handled, for a progress bar. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (done, total) -> {};

    void frameDone(int done, int total);
  }

  /**
   * Runs the export.
   *
   * @param progress told of each frame handled (1, 2, ...) out of the reviewed count
   * @throws IllegalArgumentException if {@code out} holds an earlier export and {@code overwrite}
   *     is off, or holds files that are not an export
   */
  public static ReviewExportReport run(
      FrameStore store, ReviewExportOptions options, Progress progress)
      throws IOException, StorageException {
    prepare(options);
    Map<String, ReviewRecord> latest = latestVerdicts(store, options.since());
    List<String> frameIds = new ArrayList<>(latest.keySet());
    frameIds.sort(Comparator.naturalOrder());
    List<ManifestRow> rows = new ArrayList<>();
    Map<String, Integer> perClass = new TreeMap<>();
    int rejectedLeftOut = 0;
    int missing = 0;
    int done = 0;
    for (String frameId : frameIds) {
      progress.frameDone(++done, frameIds.size());
      FlagRecord flag;
      FrameData frame;
      try {
        flag = store.flag(frameId);
        String className = className(flag, options);
        if (className == null) {
          if (flag.status() == FlagStatus.REJECTED) {
            rejectedLeftOut++;
          }
          continue;
        }
        frame = store.readFrame(frameId);
        String file =
            frameId + (frame.record().contentType().equals("image/png") ? ".png" : ".jpg");
        write(options.out().resolve(className).resolve(file), frame.bytes());
        perClass.merge(className, 1, Integer::sum);
        rows.add(
            new ManifestRow(
                options.task(),
                className,
                file,
                SOURCE,
                options.license(),
                flag.label(),
                flag.score(),
                flag.model(),
                flag.modelVersion(),
                verdict(flag.status()),
                flag.reviewer(),
                flag.reviewedAt(),
                flag.cameraId(),
                frameId));
      } catch (ObjectNotFoundException | ChecksumMismatchException e) {
        missing++;
      }
    }
    rows.sort(Comparator.comparing(ManifestRow::className).thenComparing(ManifestRow::file));
    StringBuilder csv = new StringBuilder(String.join(",", ManifestRow.HEADER)).append('\n');
    rows.forEach(r -> csv.append(r.csv()).append('\n'));
    write(options.out().resolve(MANIFEST), csv.toString().getBytes(StandardCharsets.UTF_8));
    return new ReviewExportReport(perClass, frameIds.size(), rejectedLeftOut, missing);
  }

  /**
   * The last verdict of each frame (by flag revision), keyed by frame id, left out when it is older
   * than {@code since} ({@code null}: all) or was taken back (the frame's last entry is a {@link
   * Verdict#REOPEN}). Reads the whole reviews log; what export and candidate training learn from.
   */
  public static Map<String, ReviewRecord> latestVerdicts(FrameStore store, Instant since)
      throws StorageException {
    Map<String, ReviewRecord> latest = new HashMap<>();
    String cursor = null;
    do {
      Page<ReviewRecord> page = store.listReviews(cursor, 1000);
      for (ReviewRecord r : page.items()) {
        latest.merge(r.frameId(), r, (a, b) -> b.revision() > a.revision() ? b : a);
      }
      cursor = page.nextCursor();
    } while (cursor != null);
    // A frame whose latest entry is a reopen has no verdict: its flag is back in the open queue.
    latest.values().removeIf(r -> r.verdict() == Verdict.REOPEN);
    if (since != null) {
      latest.values().removeIf(r -> r.reviewedAt().isBefore(since));
    }
    return latest;
  }

  private static String className(FlagRecord flag, ReviewExportOptions options) {
    return switch (flag.status()) {
      case CONFIRMED -> flag.label();
      case RELABELLED -> flag.verdictLabel();
      case REJECTED -> options.includeRejectedAsNormal() ? options.normalLabel() : null;
      case OPEN -> null;
    };
  }

  private static String verdict(FlagStatus status) {
    return switch (status) {
      case CONFIRMED -> "confirm";
      case RELABELLED -> "relabel";
      case REJECTED -> "reject";
      case OPEN -> throw new IllegalStateException("an open flag has no verdict");
    };
  }

  /** Makes {@code out} ready: new, empty, or an earlier export that may be replaced. */
  private static void prepare(ReviewExportOptions options) throws IOException {
    Path out = options.out();
    Files.createDirectories(out);
    Path manifest = out.resolve(MANIFEST);
    boolean empty;
    try (Stream<Path> entries = Files.list(out)) {
      empty = entries.findAny().isEmpty();
    }
    if (empty) {
      return;
    }
    if (!Files.exists(manifest)) {
      throw new IllegalArgumentException(
          out + " is not empty and holds no " + MANIFEST + ": choose a new folder for the export");
    }
    if (!options.overwrite()) {
      throw new IllegalArgumentException(
          out + " holds an earlier export; pass --overwrite to replace it");
    }
    List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] cells = line.split(",", 4);
      if (cells.length >= 3
          && cells[1].matches("[A-Za-z0-9_-]{1,64}")
          && cells[2].matches("[A-Za-z0-9_.-]{1,120}")) {
        Path dir = out.resolve(cells[1]);
        Files.deleteIfExists(dir.resolve(cells[2]));
        try (Stream<Path> left = Files.list(dir)) {
          if (left.findAny().isEmpty()) {
            Files.delete(dir);
          }
        } catch (NoSuchFileException gone) {
          // Removed by hand; nothing to clean.
        }
      }
    }
    Files.delete(manifest);
  }

  private static void write(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
