package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagChange;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's maintained queue counts and review leases, with two store instances (two serving
 * nodes) on one real S3 server: counts stay exact under concurrent writers, drift is repaired by a
 * recount, camera and label filters list their own index, and one frame is leased to one reviewer.
 */
class FlagCountsTest {
  private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @BeforeAll
  static void startServer() throws Exception {
    server = StoreFixture.server(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  private static FlagRecord flag(MinioFrameStore store, String camera, String label, int minute)
      throws Exception {
    Instant at = T0.plus(Duration.ofMinutes(minute));
    String id = FrameId.generate(camera, at).value();
    return store.createFlag(FlagRecord.open(id, label, 0.8, "urban", "1.0.0", at));
  }

  @Test
  void countsStayExactWhileTwoNodesCreateAndJudgeFlagsAtOnce(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<FlagRecord>> created = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          MinioFrameStore node = i % 2 == 0 ? a : b;
          String camera = i % 4 == 0 ? "cam-1" : "cam-2";
          int minute = i;
          created.add(pool.submit(() -> flag(node, camera, i2label(minute), minute)));
        }
        List<FlagRecord> flags = new ArrayList<>();
        for (Future<FlagRecord> f : created) {
          flags.add(f.get());
        }
        List<Future<FlagRecord>> judged = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          MinioFrameStore node = i % 2 == 0 ? b : a;
          String id = flags.get(i).frameId();
          Verdict v = i < 6 ? Verdict.CONFIRM : Verdict.REJECT;
          judged.add(
              pool.submit(
                  () -> node.reviewFlag(new FlagReview(id, v, null, null, "alice", false))));
        }
        for (Future<FlagRecord> f : judged) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      for (MinioFrameStore node : List.of(a, b)) {
        a.flagCounts(); // each node's own changes are written when it reads
        b.flagCounts();
        FlagCounts c = node.flagCounts();
        assertEquals(30, c.of(FlagStatus.OPEN));
        assertEquals(6, c.of(FlagStatus.CONFIRMED));
        assertEquals(4, c.of(FlagStatus.REJECTED));
        assertEquals(0, c.of(FlagStatus.RELABELLED));
        // Flags 0..9 were judged: cam-1 had 0,4,8 of them (of 10 cam-1 flags), label per minute %
        // 3.
        assertEquals(Map.of("cam-1", 7L, "cam-2", 23L), c.openByCamera());
        assertEquals(30L, c.openByLabel().values().stream().mapToLong(Long::longValue).sum());
      }
      FlagRecount recount = a.recountFlags();
      assertTrue(recount.applied(), recount.toString());
      assertEquals(Map.of(), recount.drift(), "maintained counts agree with a full listing");
    }
  }

  private static String i2label(int i) {
    return List.of("graffiti", "pothole", "flooding").get(i % 3);
  }

  @Test
  void everyNodeReadsTheQueueChangesOfEveryNodeFromTheCounterRevisions(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      long start = b.flagCounts().revision();
      FlagRecord one = flag(a, "cam-1", "graffiti", 1);
      a.flagCounts();
      FlagRecord two = flag(b, "cam-2", "pothole", 2);
      b.reviewFlag(new FlagReview(two.frameId(), Verdict.REJECT, null, null, "bob", false));
      b.flagCounts();
      List<FlagChange> seen = new ArrayList<>();
      long last = start;
      for (FlagCounts c : a.flagCountsSince(start)) {
        assertEquals(last + 1, c.revision(), "revisions come oldest first, none skipped");
        last = c.revision();
        seen.addAll(c.changes());
      }
      assertEquals(
          List.of(one.frameId(), two.frameId(), two.frameId()),
          seen.stream().map(FlagChange::frameId).toList());
      assertEquals(
          List.of(FlagChange.CREATED, FlagChange.CREATED, FlagChange.REVIEWED),
          seen.stream().map(FlagChange::kind).toList());
      assertEquals(FlagStatus.REJECTED, seen.get(2).status());
      assertEquals(List.of(), a.flagCountsSince(last));
    }
  }

  @Test
  void aReopenedVerdictPutsTheFlagBackInTheOpenCountsAndItsCameraIndex(
      TestInfo info, @TempDir Path node) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore store = StoreFixture.open(server, node, bucket)) {
      FlagRecord open = flag(store, "cam-3", "graffiti", 0);
      FlagRecord judged =
          store.reviewFlag(
              new FlagReview(open.frameId(), Verdict.CONFIRM, null, null, "alice", false));
      FlagCounts afterVerdict = store.flagCounts();
      assertEquals(0, afterVerdict.of(FlagStatus.OPEN));
      assertEquals(1, afterVerdict.of(FlagStatus.CONFIRMED));

      store.reopenFlag(open.frameId(), judged.revision(), "alice");

      FlagCounts afterReopen = store.flagCounts();
      assertEquals(1, afterReopen.of(FlagStatus.OPEN));
      assertEquals(0, afterReopen.of(FlagStatus.CONFIRMED));
      assertEquals(Map.of("cam-3", 1L), afterReopen.openByCamera());
      FlagQuery byCamera =
          new FlagQuery(
              FlagStatus.OPEN,
              "cam-3",
              null,
              null,
              null,
              FlagOrder.NEWEST_FIRST,
              null,
              50,
              null,
              null);
      assertEquals(
          List.of(open.frameId()),
          store.listFlags(byCamera).items().stream().map(FlagRecord::frameId).toList());
    }
  }

  @Test
  void aRecountRepairsCountsThatDriftedAndReportsTheDrift(TestInfo info, @TempDir Path node)
      throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore store = StoreFixture.open(server, node, bucket)) {
      for (int i = 0; i < 5; i++) {
        flag(store, "cam-1", "graffiti", i);
      }
      FlagCounts head = store.flagCounts();
      // What a node that died between storing flags and counting them leaves: counts off by 3.
      FlagCounts wrong =
          new FlagCounts(
              head.revision() + 1,
              T0,
              Map.of("open", 2L),
              Map.of("cam-1", 2L),
              Map.of("graffiti", 2L, "pothole", 1L),
              List.of(),
              0);
      store.bucket().put(DurableBucket.json(StorageKeys.flagCounts(wrong.revision()), wrong, true));
      assertEquals(2, store.flagCounts().of(FlagStatus.OPEN));

      FlagRecount recount = store.recountFlags();

      assertTrue(recount.applied());
      assertEquals(
          Map.of("status open", 3L, "camera cam-1", 3L, "label graffiti", 3L, "label pothole", -1L),
          recount.drift());
      assertEquals(3, recount.statusDrift());
      FlagCounts fixed = store.flagCounts();
      assertEquals(5, fixed.of(FlagStatus.OPEN));
      assertEquals(Map.of("graffiti", 5L), fixed.openByLabel());
    }
  }

  @Test
  void cameraAndLabelFiltersListTheirOwnIndexWhichARecountRebuilds(
      TestInfo info, @TempDir Path node) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore store = StoreFixture.open(server, node, bucket)) {
      FlagRecord one = flag(store, "cam-1", "graffiti", 1);
      FlagRecord two = flag(store, "cam-2", "pothole", 2);
      flag(store, "cam-2", "graffiti", 3);
      FlagQuery byCamera =
          new FlagQuery(
              FlagStatus.OPEN, "cam-1", null, null, null, FlagOrder.NEWEST_FIRST, null, 10);
      assertEquals(List.of(one.frameId()), ids(store.listFlags(byCamera)));
      FlagQuery byLabel =
          new FlagQuery(
              FlagStatus.OPEN, null, "pothole", null, null, FlagOrder.NEWEST_FIRST, null, 10);
      assertEquals(List.of(two.frameId()), ids(store.listFlags(byLabel)));
      FlagQuery nobody =
          new FlagQuery(
              FlagStatus.OPEN, "cam-9", null, null, null, FlagOrder.NEWEST_FIRST, null, 10);
      Page<FlagRecord> none = store.listFlags(nobody);
      assertEquals(List.of(), none.items());
      assertEquals(null, none.nextCursor());
      assertTrue(
          store
              .bucket()
              .listKeys(StorageKeys.cameraQueue(FlagStatus.OPEN, "cam-9").root(), 10)
              .isEmpty());

      // A flag stored without index markers (as before they existed) is found after a recount.
      List<String> index =
          store.bucket().listKeys(StorageKeys.cameraQueue(FlagStatus.OPEN, "cam-1").root(), 10);
      store.bucket().removeAll(index);
      assertEquals(List.of(), ids(store.listFlags(byCamera)));
      FlagRecount recount = store.recountFlags();
      assertEquals(1, recount.indexed());
      assertEquals(List.of(one.frameId()), ids(store.listFlags(byCamera)));

      // A verdict moves the flag out of its camera's open index and into the confirmed one.
      store.reviewFlag(new FlagReview(one.frameId(), Verdict.CONFIRM, null, null, "alice", false));
      assertEquals(List.of(), ids(store.listFlags(byCamera)));
      assertEquals(
          List.of(one.frameId()),
          ids(
              store.listFlags(
                  new FlagQuery(
                      FlagStatus.CONFIRMED,
                      "cam-1",
                      null,
                      null,
                      null,
                      FlagOrder.NEWEST_FIRST,
                      null,
                      10))));
    }
  }

  private static List<String> ids(Page<FlagRecord> page) {
    return page.items().stream().map(FlagRecord::frameId).toList();
  }

  @Test
  void aFrameIsLeasedToOneReviewerAtATimeAcrossNodesUntilReleasedOrExpired(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    StoreFixture.MutableClock clock = new StoreFixture.MutableClock(Instant.now());
    try (MinioFrameStore a =
            FrameStores.open(StoreFixture.config(server.endpoint(), nodeA, bucket), clock);
        MinioFrameStore b =
            FrameStores.open(StoreFixture.config(server.endpoint(), nodeB, bucket), clock)) {
      String id = flag(a, "cam-1", "graffiti", 1).frameId();
      assertTrue(a.leaseFlag(id, "alice", Duration.ofSeconds(120)).isPresent());
      assertTrue(b.leaseFlag(id, "bob", Duration.ofSeconds(120)).isEmpty(), "alice holds it");
      assertTrue(
          b.leaseFlag(id, "alice", Duration.ofSeconds(120)).isPresent(),
          "alice renews from another node");
      assertFalse(b.releaseFlag(id, "bob"), "bob holds nothing to release");
      assertTrue(a.releaseFlag(id, "alice"));
      ReviewLease bobs = b.leaseFlag(id, "bob", Duration.ofSeconds(60)).orElseThrow();
      assertEquals("bob", bobs.holder());
      assertTrue(a.leaseFlag(id, "alice", Duration.ofSeconds(60)).isEmpty());
      clock.set(clock.instant().plusSeconds(61));
      assertTrue(
          a.leaseFlag(id, "alice", Duration.ofSeconds(60)).isPresent(), "bob's lease expired");
    }
  }

  @Test
  void aNodeThatKnowsAnOlderGenerationNeverTakesAFrameAnotherHolds(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    StoreFixture.MutableClock clock = new StoreFixture.MutableClock(Instant.now());
    try (MinioFrameStore a =
            FrameStores.open(StoreFixture.config(server.endpoint(), nodeA, bucket), clock);
        MinioFrameStore b =
            FrameStores.open(StoreFixture.config(server.endpoint(), nodeB, bucket), clock)) {
      String id = flag(a, "cam-1", "graffiti", 1).frameId();
      assertEquals(1, a.leaseFlag(id, "alice", Duration.ofSeconds(60)).orElseThrow().generation());
      clock.set(clock.instant().plusSeconds(61));
      for (int i = 0; i < 10; i++) {
        assertTrue(b.leaseFlag(id, "bob", Duration.ofSeconds(60)).isPresent(), "renewal " + i);
      }
      // Node a last saw alice's expired generation 1; bob holds generation 11.
      assertTrue(a.leaseFlag(id, "carol", Duration.ofSeconds(60)).isEmpty(), "bob holds it");
      assertTrue(a.leaseFlag(id, "alice", Duration.ofSeconds(60)).isEmpty(), "bob holds it");
      assertFalse(a.releaseFlag(id, "alice"), "alice's lease ended long ago");
      assertTrue(a.releaseFlag(id, "bob"), "bob lets go from the other node");
      // Node b still knows bob's generation 11 as held: it reads the release and claims after it.
      ReviewLease carols = b.leaseFlag(id, "carol", Duration.ofSeconds(60)).orElseThrow();
      assertEquals(13, carols.generation());
      assertEquals(
          13,
          a.bucket().listKeys(StorageKeys.reviewLeasePrefix(id), 100).size(),
          "every generation is kept while the frame exists");
    }
  }

  @Test
  void ofManyReviewersClaimingOneFrameAtOnceExactlyOneGetsIt(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      String id = flag(a, "cam-1", "graffiti", 1).frameId();
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<Boolean>> claims = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          MinioFrameStore node = i % 2 == 0 ? a : b;
          String who = "reviewer-" + i;
          claims.add(
              pool.submit(() -> node.leaseFlag(id, who, Duration.ofSeconds(60)).isPresent()));
        }
        int won = 0;
        for (Future<Boolean> f : claims) {
          won += f.get() ? 1 : 0;
        }
        assertEquals(1, won);
      } finally {
        pool.shutdown();
      }
    }
  }
}
