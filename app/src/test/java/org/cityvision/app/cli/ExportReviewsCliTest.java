package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.testing.EmbeddedStore;
import org.cityvision.core.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cityvision export-reviews} over the embedded store a stopped {@code serve} left in {@code
 * --data}.
 */
class ExportReviewsCliTest {
  @Test
  void exportsTheVerdictsOfTheStoreInTheDataDirectory(@TempDir Path data, @TempDir Path work)
      throws Exception {
    String confirmed;
    String rejected;
    try (EmbeddedStore embedded = EmbeddedStore.open(data)) {
      FrameStore store = embedded.store();
      confirmed = judged(store, "graffiti", Verdict.CONFIRM, 0);
      rejected = judged(store, "flooding", Verdict.REJECT, 1);
    }
    Path out = work.resolve("reviewed");

    int code =
        Main.commandLine()
            .execute(
                "export-reviews",
                "--out",
                out.toString(),
                "--data",
                data.toString(),
                "--include-rejected-as-normal",
                "--since",
                "2020-01-01");

    assertEquals(0, code);
    assertTrue(Files.exists(out.resolve("graffiti").resolve(confirmed + ".jpg")));
    assertTrue(Files.exists(out.resolve("normal").resolve(rejected + ".jpg")));
    List<String> manifest = Files.readAllLines(out.resolve("manifest.csv"));
    assertEquals(3, manifest.size());
    assertTrue(manifest.get(0).startsWith("task,class,file,source,license,"), manifest.get(0));
  }

  private static String judged(FrameStore store, String label, Verdict verdict, int seed)
      throws Exception {
    Instant at = Instant.parse("2025-06-01T12:00:00Z").plusSeconds(seed);
    FrameRecord frame =
        store.putFrame(
            new FrameUpload("cam-1", at, "image/jpeg", TestImages.jpeg(320, 240, seed), null));
    store.createFlag(FlagRecord.open(frame.frameId(), label, 0.8, "urban", "1.0.0", at));
    store.reviewFlag(new FlagReview(frame.frameId(), verdict, null, null, "alice", false));
    return frame.frameId();
  }
}
