package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.Verdict;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** Listing order and cursors: frames over a few thousand keys, and the review queue. */
class ListingTest {
  private static final Instant T0 = Instant.parse("2025-03-10T00:00:00Z");

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @TempDir Path dataDir;
  private String bucket;
  private MinioFrameStore store;

  @BeforeAll
  static void startServer() throws Exception {
    server = StoreFixture.server(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void openStore(TestInfo info) throws Exception {
    bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    store = StoreFixture.open(server, dataDir, bucket);
  }

  @AfterEach
  void closeStore() throws Exception {
    store.close();
  }

  @Test
  void pagesThroughThousandsOfFramesInKeyOrderWithoutThumbnailsOrRepeats() throws Exception {
    int frames = 2500;
    List<FrameRecord> stored = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<FrameRecord>> puts = new ArrayList<>();
      for (int i = 0; i < frames; i++) {
        Instant at = T0.plusSeconds(i * 97L);
        String camera = i % 2 == 0 ? "cam-a" : "cam-b";
        // Every tenth frame has a thumbnail, which listings must skip.
        byte[] thumb = i % 10 == 0 ? StoreFixture.jpeg(64, i) : null;
        FrameUpload upload =
            new FrameUpload(camera, at, "image/jpeg", StoreFixture.jpeg(64, i), thumb);
        puts.add(pool.submit(() -> store.putFrame(upload)));
      }
      for (Future<FrameRecord> put : puts) {
        stored.add(put.get());
      }
    } finally {
      pool.shutdown();
    }

    List<FrameEntry> listed = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<FrameEntry> page = store.listFrames("frames/", cursor, 333);
      assertTrue(page.items().size() <= 333);
      listed.addAll(page.items());
      cursor = page.nextCursor();
      pages++;
    } while (cursor != null);

    List<String> expected = stored.stream().map(FrameRecord::key).sorted().toList();
    assertEquals(expected, listed.stream().map(FrameEntry::key).toList());
    assertEquals(frames, new HashSet<>(listed.stream().map(FrameEntry::frameId).toList()).size());
    assertEquals((frames + 332) / 333, pages);
    Page<FrameEntry> camB = store.listFrames("frames/cam-b/", null, 1000);
    assertTrue(camB.items().stream().allMatch(e -> e.frameId().startsWith("cam-b.")));
  }

  @Test
  void refusesCursorOfAnotherListing() throws Exception {
    store.putFrame(StoreFixture.upload("cam-a", T0, 64, 1));
    store.putFrame(StoreFixture.upload("cam-a", T0, 64, 2));
    String cursor = store.listFrames("frames/cam-a/", null, 1).nextCursor();

    assertThrows(
        IllegalArgumentException.class, () -> store.listFrames("frames/cam-b/", cursor, 1));
    assertThrows(
        IllegalArgumentException.class, () -> store.listFrames("frames/", "not-a-cursor!", 1));
  }

  private List<FlagRecord> flagMany(int count) throws Exception {
    List<FlagRecord> flags = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Instant at = T0.plusSeconds(i * 60L);
      String camera = "cam-" + (i % 3);
      String frameId = FrameId.generate(camera, at).value();
      String label = i % 2 == 0 ? "pothole" : "graffiti";
      double score = ((i * 37) % 100) / 100.0;
      flags.add(store.createFlag(FlagRecord.open(frameId, label, score, "urban", "1.0.0", at)));
    }
    return flags;
  }

  private List<FlagRecord> all(FlagQuery query) throws Exception {
    List<FlagRecord> out = new ArrayList<>();
    FlagQuery q = query;
    while (true) {
      Page<FlagRecord> page = store.listFlags(q);
      out.addAll(page.items());
      if (!page.hasMore()) {
        return out;
      }
      q = q.withCursor(page.nextCursor());
    }
  }

  @Test
  void listsReviewQueueNewestFirstAndLeastConfidentFirstAcrossPages() throws Exception {
    List<FlagRecord> flags = flagMany(120);

    List<FlagRecord> newest = all(FlagQuery.of(FlagStatus.OPEN, 25));
    List<FlagRecord> leastConfident =
        all(
            new FlagQuery(
                FlagStatus.OPEN,
                null,
                null,
                null,
                null,
                FlagOrder.LEAST_CONFIDENT_FIRST,
                null,
                25));

    assertEquals(
        flags.stream().sorted(Comparator.comparing(FlagRecord::flaggedAt).reversed()).toList(),
        newest);
    assertEquals(
        flags.stream()
            .sorted(
                Comparator.comparingDouble(FlagRecord::score)
                    .thenComparing(FlagRecord::flaggedAt, Comparator.reverseOrder()))
            .toList(),
        leastConfident);
  }

  @Test
  void filtersReviewQueueByCameraLabelAndTimeRange() throws Exception {
    List<FlagRecord> flags = flagMany(90);
    Instant since = T0.plusSeconds(20 * 60);
    Instant until = T0.plusSeconds(70 * 60);

    List<FlagRecord> filtered =
        all(
            new FlagQuery(
                FlagStatus.OPEN,
                "cam-1",
                "pothole",
                since,
                until,
                FlagOrder.NEWEST_FIRST,
                null,
                4));

    List<FlagRecord> expected =
        flags.stream()
            .filter(f -> f.cameraId().equals("cam-1") && f.label().equals("pothole"))
            .filter(f -> !f.flaggedAt().isBefore(since) && !f.flaggedAt().isAfter(until))
            .sorted(Comparator.comparing(FlagRecord::flaggedAt).reversed())
            .toList();
    assertFalse(expected.isEmpty());
    assertEquals(expected, filtered);
  }

  @Test
  void repairsStaleQueueEntryLeftByACrashBetweenReviewAndQueueUpdate() throws Exception {
    FlagRecord flag = flagMany(1).get(0);
    store.reviewFlag(new FlagReview(flag.frameId(), Verdict.CONFIRM, null, null, "alice", false));
    // What a crash right after the revision write leaves: the open marker still there.
    MinioClient raw =
        MinioClient.builder()
            .endpoint(server.endpoint())
            .credentials(StoreFixture.ACCESS, StoreFixture.SECRET)
            .region("us-east-1")
            .build();
    String staleKey = StorageKeys.queueEntry(FlagStatus.OPEN, FlagOrder.NEWEST_FIRST, flag);
    raw.putObject(
        PutObjectArgs.builder().bucket(bucket).object(staleKey).stream(
                new ByteArrayInputStream(new byte[0]), 0, -1)
            .build());

    // A page reads the revision the marker names (one GET per flag), so it still shows the flag;
    // the verdict a reviewer then gives is refused and repairs the queue.
    assertEquals(1, store.listFlags(FlagQuery.of(FlagStatus.OPEN, 10)).items().size());
    assertThrows(
        ConflictException.class,
        () ->
            store.reviewFlag(
                new FlagReview(flag.frameId(), Verdict.REJECT, null, null, "bob", false)));
    assertTrue(store.listFlags(FlagQuery.of(FlagStatus.OPEN, 10)).items().isEmpty());
    assertFalse(store.bucket().exists(staleKey));
    assertEquals(1, store.listFlags(FlagQuery.of(FlagStatus.CONFIRMED, 10)).items().size());
  }
}
