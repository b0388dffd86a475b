package org.cityvision.datasets.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** Exports from a real store on a real S3 server, one bucket per test. */
class ReviewExportTest {
  private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
  @TempDir static Path s3Dir;
  static EmbeddedS3Server s3;
  @TempDir Path dataDir;
  @TempDir Path outDir;
  FrameStore store;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = EmbeddedS3Server.start(s3Dir, 0, "export-test", "export-test-secret");
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }

  @BeforeEach
  void open(TestInfo info) throws Exception {
    String bucket =
        ("x-" + info.getTestMethod().orElseThrow().getName().toLowerCase())
            .replaceAll("[^a-z0-9]+", "-");
    store =
        FrameStores.open(
            StorageConfig.embedded(dataDir)
                .withEndpoint(s3.endpoint(), s3.accessKey(), s3.secretKey())
                .withBucket(bucket.length() > 60 ? bucket.substring(0, 60) : bucket));
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private FlagRecord flagged(String camera, String label, double score, int minutes)
      throws Exception {
    Instant at = T0.plus(Duration.ofMinutes(minutes));
    FrameRecord frame =
        store.putFrame(
            new FrameUpload(camera, at, "image/jpeg", TestImages.jpeg(320, 240, minutes), null));
    return store.createFlag(FlagRecord.open(frame.frameId(), label, score, "urban", "1.2.0", at));
  }

  private void judge(
      FlagRecord flag, Verdict verdict, String label, String reviewer, boolean override)
      throws Exception {
    store.reviewFlag(new FlagReview(flag.frameId(), verdict, label, null, reviewer, override));
  }

  private List<String> manifest() throws Exception {
    return Files.readAllLines(outDir.resolve("manifest.csv"), StandardCharsets.UTF_8);
  }

  @Test
  void writesConfirmedAndRelabelledFramesAsAnImageFolderWithAManifest() throws Exception {
    FlagRecord confirmed = flagged("cam-1", "graffiti", 0.91, 0);
    FlagRecord relabelled = flagged("cam-2", "graffiti", 0.62, 1);
    FlagRecord rejected = flagged("cam-1", "flooding", 0.70, 2);
    flagged("cam-1", "graffiti", 0.80, 3);
    judge(confirmed, Verdict.CONFIRM, null, "alice", false);
    judge(relabelled, Verdict.RELABEL, "garbage_dumping", "bob", false);
    judge(rejected, Verdict.REJECT, null, "alice", false);

    ReviewExportReport report =
        ReviewExport.run(store, ReviewExportOptions.to(outDir), ReviewExport.Progress.NONE);

    assertEquals(Map.of("graffiti", 1, "garbage_dumping", 1), report.perClass());
    assertEquals(3, report.reviewedFrames());
    assertEquals(1, report.rejectedLeftOut());
    Path image = outDir.resolve("graffiti").resolve(confirmed.frameId() + ".jpg");
    assertArrayEquals(store.readFrame(confirmed.frameId()).bytes(), Files.readAllBytes(image));
    assertTrue(
        Files.exists(outDir.resolve("garbage_dumping").resolve(relabelled.frameId() + ".jpg")));
    assertFalse(Files.exists(outDir.resolve("normal")));

    List<String> lines = manifest();
    String sharedHeader = "task,class,file,source,license";
    assertTrue(lines.get(0).startsWith(sharedHeader + ","), lines.get(0));
    assertEquals(String.join(",", ManifestRow.HEADER), lines.get(0));
    assertEquals(3, lines.size());
    String relabelRow = lines.get(1);
    assertTrue(
        relabelRow.startsWith(
            "urban,garbage_dumping,"
                + relabelled.frameId()
                + ".jpg,cityvision-review,city-owned,"
                + "graffiti,0.620000,urban,1.2.0,relabel,bob,"),
        relabelRow);
    assertTrue(relabelRow.endsWith(",cam-2," + relabelled.frameId()), relabelRow);
    assertTrue(
        lines.get(2).contains(",graffiti,0.910000,urban,1.2.0,confirm,alice,"), lines.get(2));
  }

  @Test
  void exportsRejectedFramesAsNormalOnlyWhenAsked() throws Exception {
    FlagRecord rejected = flagged("cam-1", "flooding", 0.70, 0);
    judge(rejected, Verdict.REJECT, null, "alice", false);

    ReviewExportReport report =
        ReviewExport.run(
            store,
            ReviewExportOptions.to(outDir).withRejectedAsNormal(true),
            ReviewExport.Progress.NONE);

    assertEquals(Map.of("normal", 1), report.perClass());
    assertTrue(Files.exists(outDir.resolve("normal").resolve(rejected.frameId() + ".jpg")));
    assertTrue(
        manifest().get(1).contains(",normal," + rejected.frameId() + ".jpg,"), manifest().get(1));
    assertTrue(
        manifest().get(1).contains(",flooding,0.700000,urban,1.2.0,reject,alice,"),
        manifest().get(1));
  }

  @Test
  void anOverriddenVerdictIsExportedAsTheOverrideSays() throws Exception {
    FlagRecord flag = flagged("cam-1", "graffiti", 0.9, 0);
    judge(flag, Verdict.CONFIRM, null, "alice", false);
    judge(flag, Verdict.RELABEL, "normal", "bob", true);

    ReviewExportReport report =
        ReviewExport.run(store, ReviewExportOptions.to(outDir), ReviewExport.Progress.NONE);

    assertEquals(Map.of("normal", 1), report.perClass());
    assertEquals(1, report.reviewedFrames());
    assertTrue(manifest().get(1).contains(",relabel,bob,"), manifest().get(1));
  }

  @Test
  void sinceLeavesOutFramesJudgedBefore() throws Exception {
    FlagRecord early = flagged("cam-1", "graffiti", 0.9, 0);
    judge(early, Verdict.CONFIRM, null, "alice", false);
    Instant between = Instant.now();
    while (!Instant.now().isAfter(between)) {
      Thread.onSpinWait();
    }
    FlagRecord late = flagged("cam-1", "graffiti", 0.9, 1);
    judge(late, Verdict.CONFIRM, null, "alice", false);

    ReviewExportReport report =
        ReviewExport.run(
            store, ReviewExportOptions.to(outDir).withSince(between), ReviewExport.Progress.NONE);

    assertEquals(1, report.exported());
    assertTrue(Files.exists(outDir.resolve("graffiti").resolve(late.frameId() + ".jpg")));
    assertFalse(Files.exists(outDir.resolve("graffiti").resolve(early.frameId() + ".jpg")));
  }

  @Test
  void refusesToWriteOverAnEarlierExportUnlessToldAndThenReplacesIt() throws Exception {
    FlagRecord a = flagged("cam-1", "graffiti", 0.9, 0);
    judge(a, Verdict.CONFIRM, null, "alice", false);
    ReviewExport.run(store, ReviewExportOptions.to(outDir), ReviewExport.Progress.NONE);
    judge(a, Verdict.RELABEL, "flooding", "bob", true);

    assertThrows(
        IllegalArgumentException.class,
        () -> ReviewExport.run(store, ReviewExportOptions.to(outDir), ReviewExport.Progress.NONE));
    ReviewExport.run(
        store, ReviewExportOptions.to(outDir).withOverwrite(true), ReviewExport.Progress.NONE);

    assertFalse(Files.exists(outDir.resolve("graffiti")), "the old class folder is gone");
    try (Stream<Path> files = Files.list(outDir.resolve("flooding"))) {
      assertEquals(
          List.of(a.frameId() + ".jpg"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void refusesAFolderThatHoldsSomethingElse() throws Exception {
    Files.writeString(outDir.resolve("notes.txt"), "mine");
    assertThrows(
        IllegalArgumentException.class,
        () -> ReviewExport.run(store, ReviewExportOptions.to(outDir), ReviewExport.Progress.NONE));
  }

  @Test
  void quotesCellsThatNeedIt() {
    assertEquals("\"a,b\"", ManifestRow.quote("a,b"));
    assertEquals("\"say \"\"hi\"\"\"", ManifestRow.quote("say \"hi\""));
    assertEquals("plain", ManifestRow.quote("plain"));
  }
}
