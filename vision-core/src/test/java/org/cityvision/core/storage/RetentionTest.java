package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.job.JobState;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.StoreFixture.MutableClock;
import org.cityvision.core.storage.spool.SpoolObject;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** Retention deletes exactly what the policy says, and nothing unreviewed, spooled or judged. */
class RetentionTest {
  @TempDir Path serverDir;
  @TempDir Path dataDir;

  @Test
  void deletesExactlyWhatThePolicySays(TestInfo info) throws Exception {
    // Idempotency records are dated by MinIO's clock, so "now" is real time plus two days.
    Instant now = Instant.now().plus(Duration.ofDays(2));
    RetentionPolicy policy =
        new RetentionPolicy(Duration.ofDays(30), Duration.ofDays(10), Duration.ofDays(1));
    MutableClock clock = new MutableClock(now);
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (EmbeddedS3Server server = StoreFixture.server(serverDir);
        MinioFrameStore store =
            FrameStores.open(
                StoreFixture.config(server.endpoint(), dataDir, bucket).withRetention(policy),
                clock)) {
      String oldUnflagged = frame(store, now.minus(Duration.ofDays(40)), 1, true);
      String youngUnflagged = frame(store, now.minus(Duration.ofDays(5)), 2, true);
      String oldOpen = frame(store, now.minus(Duration.ofDays(60)), 3, false);
      String reviewedLongAgo = frame(store, now.minus(Duration.ofDays(60)), 4, true);
      String reviewedRecently = frame(store, now.minus(Duration.ofDays(60)), 5, false);
      String oldWithSpooledResult = frame(store, now.minus(Duration.ofDays(50)), 6, false);
      for (String id : List.of(oldOpen, reviewedLongAgo, reviewedRecently)) {
        store.createFlag(
            FlagRecord.open(id, "pothole", 0.9, "urban", "1.0.0", now.minus(Duration.ofDays(60))));
      }
      clock.set(now.minus(Duration.ofDays(20)));
      store.reviewFlag(
          new FlagReview(reviewedLongAgo, Verdict.CONFIRM, null, null, "alice", false));
      clock.set(now.minus(Duration.ofDays(2)));
      store.reviewFlag(new FlagReview(reviewedRecently, Verdict.REJECT, null, null, "bob", false));
      store.bucket().pauseDelivery(true);
      String spooledKey = StorageKeys.result(oldWithSpooledResult, "urban", "2.0.0");
      store
          .bucket()
          .spool()
          .append(
              List.of(
                  new SpoolObject(
                      spooledKey,
                      "application/json",
                      Map.of("sha256", StorageKeys.sha256Hex(new byte[0])),
                      new byte[0],
                      false)));
      store.claimIdempotencyKey("old-request", JsonNodeFactory.instance.objectNode());
      store.putJob(
          new JobState(
              "job-1", "urban", "frames/", JobStatus.DONE, 1, 1, 0, 0, null, null, now, now));

      RetentionReport report = store.applyRetention(now, 2);

      assertEquals(new RetentionReport(6, 2, 1, 1, 1, 1, 0), report);
      assertGone(store, oldUnflagged);
      assertGone(store, reviewedLongAgo);
      assertTrue(store.bucket().listKeys(StorageKeys.flagLogPrefix(reviewedLongAgo), 10).isEmpty());
      assertTrue(store.listFlags(FlagQuery.of(FlagStatus.CONFIRMED, 10)).items().isEmpty());
      for (String kept : List.of(youngUnflagged, oldOpen, reviewedRecently, oldWithSpooledResult)) {
        assertEquals(kept, store.readFrame(kept).record().frameId());
      }
      assertEquals(FlagStatus.OPEN, store.flag(oldOpen).status());
      assertEquals(1, store.listFlags(FlagQuery.of(FlagStatus.REJECTED, 10)).items().size());
      assertEquals(2, store.listReviews(null, 10).items().size(), "verdicts are kept forever");
      assertTrue(store.job("job-1").isPresent());
      assertEquals(
          Optional.empty(),
          store.claimIdempotencyKey("old-request", JsonNodeFactory.instance.nullNode()));
      store.bucket().pauseDelivery(false);
    }
  }

  @Test
  void deletesThumbnailsLeftWithoutTheirFrameOnceOlderThanAWriteTakes(TestInfo info)
      throws Exception {
    RetentionPolicy keepFrames =
        new RetentionPolicy(Duration.ofDays(3650), Duration.ofDays(3650), Duration.ofDays(1));
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (EmbeddedS3Server server = StoreFixture.server(serverDir);
        MinioFrameStore store = StoreFixture.open(server, dataDir, bucket)) {
      Instant at = Instant.now();
      FrameId whole =
          FrameId.parse(store.putFrame(StoreFixture.upload("cam-1", at, 2_000, 1)).frameId());
      FrameId cut =
          FrameId.parse(
              store.putFrame(StoreFixture.upload("cam-1", at.plusMillis(1), 2_000, 2)).frameId());
      // What a node killed between the thumbnail's write and the frame's leaves.
      store.bucket().removeAll(List.of(StorageKeys.frame(cut, "image/jpeg")));

      RetentionReport early = store.applyRetention(keepFrames, Instant.now(), 1, false, r -> {});
      boolean keptWhileYoung = store.bucket().exists(StorageKeys.thumbnail(cut));
      RetentionReport later =
          store.applyRetention(
              keepFrames, Instant.now().plus(Duration.ofHours(2)), 1, false, r -> {});

      assertEquals(0, early.orphanThumbnailsDeleted());
      assertTrue(
          keptWhileYoung, "a thumbnail younger than a write takes may have its frame on the way");
      assertEquals(1, later.orphanThumbnailsDeleted());
      assertFalse(store.bucket().exists(StorageKeys.thumbnail(cut)));
      assertTrue(store.bucket().exists(StorageKeys.thumbnail(whole)));
      assertEquals(whole.value(), store.readFrame(whole.value()).record().frameId());
    }
  }

  @Test
  void dryRunCountsWhatARealRunDeletesAndDeletesNothing(TestInfo info) throws Exception {
    Instant now = Instant.now();
    RetentionPolicy policy =
        new RetentionPolicy(Duration.ofDays(30), Duration.ofDays(10), Duration.ofDays(1));
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (EmbeddedS3Server server = StoreFixture.server(serverDir);
        MinioFrameStore store = StoreFixture.open(server, dataDir, bucket)) {
      List<String> old =
          List.of(
              frame(store, now.minus(Duration.ofDays(40)), 1, true),
              frame(store, now.minus(Duration.ofDays(41)), 2, false));
      frame(store, now.minus(Duration.ofDays(3)), 3, true);
      List<RetentionReport> chunks = new ArrayList<>();

      RetentionReport dry = store.applyRetention(policy, now, 1, true, chunks::add);
      List<String> afterDry = new ArrayList<>();
      for (String id : old) {
        if (store.bucket().exists(StorageKeys.frame(FrameId.parse(id), "image/jpeg"))) {
          afterDry.add(id);
        }
      }
      RetentionReport real = store.applyRetention(policy, now, 1, false, r -> {});

      assertEquals(old, afterDry, "a dry run deletes nothing");
      assertEquals(real, dry);
      assertEquals(2, real.framesDeleted());
      assertEquals(
          3, chunks.get(chunks.size() - 1).framesScanned(), "progress after each chunk: " + chunks);
    }
  }

  private static String frame(
      MinioFrameStore store, Instant capturedAt, long seed, boolean withResult) throws Exception {
    String id = store.putFrame(StoreFixture.upload("cam-1", capturedAt, 2_000, seed)).frameId();
    if (withResult) {
      store.putResult(
          new ResultRecord(
              id,
              "urban",
              "1.0.0",
              capturedAt,
              JsonNodeFactory.instance.objectNode().put("label", "road")));
    }
    return id;
  }

  private static void assertGone(MinioFrameStore store, String frameId) throws Exception {
    FrameId id = FrameId.parse(frameId);
    assertFalse(store.bucket().exists(StorageKeys.frame(id, "image/jpeg")));
    assertFalse(store.bucket().exists(StorageKeys.thumbnail(id)));
    assertTrue(store.results(frameId).isEmpty());
  }
}
