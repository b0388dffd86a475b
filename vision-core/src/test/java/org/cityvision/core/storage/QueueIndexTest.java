package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.bucket.Cursors;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bucketed review queue index on a real embedded S3 server: order and paging across folder
 * boundaries, filters, and the move of a store written with the flat index.
 */
class QueueIndexTest {
  /** Inverted millis on an 11.6-day folder boundary (a multiple of 10^9). */
  private static final long DAY_FOLDER = 8_259_000_000_000L;

  /** Inverted millis on a 2.8-hour folder boundary inside it. */
  private static final long HOUR_FOLDER = DAY_FOLDER + 10_000_000L;

  /** Inverted millis on a 100-second leaf boundary inside that. */
  private static final long LEAF = HOUR_FOLDER + 100_000L;

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @TempDir Path dataDir;

  @BeforeAll
  static void startServer() throws Exception {
    server = StoreFixture.server(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  private MinioFrameStore open(TestInfo info, String node) throws Exception {
    return StoreFixture.open(server, dataDir.resolve(node), bucket(info));
  }

  private String bucket;

  private String bucket(TestInfo info) {
    if (bucket == null) {
      bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    }
    return bucket;
  }

  private static Instant atInverted(long inverted) {
    return Instant.ofEpochMilli(StorageKeys.MAX_MILLIS - inverted);
  }

  private static FlagRecord flag(Instant at, String camera, String label, double score) {
    return FlagRecord.open(
        FrameId.generate(camera, at).value(), label, score, "urban", "1.0.0", at);
  }

  /** Flags on both sides of each folder boundary, three cameras, two labels. */
  private static List<FlagRecord> boundaryFlags() {
    List<FlagRecord> flags = new ArrayList<>();
    int i = 0;
    for (long boundary : new long[] {DAY_FOLDER, HOUR_FOLDER, LEAF}) {
      for (long d = -2; d <= 1; d++) {
        flags.add(
            flag(
                atInverted(boundary + d),
                "cam-" + (i % 3),
                i % 2 == 0 ? "pothole" : "graffiti",
                0.5 + (i % 4) / 10.0));
        i++;
      }
    }
    return flags;
  }

  private static List<FlagRecord> all(FrameStore store, FlagQuery query) throws Exception {
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

  private static List<String> ids(List<FlagRecord> flags) {
    return flags.stream().map(FlagRecord::frameId).toList();
  }

  private static Comparator<FlagRecord> newestFirst() {
    return Comparator.comparing(FlagRecord::flaggedAt).reversed();
  }

  private static FlagQuery query(String camera, String label, Instant until, int limit) {
    return new FlagQuery(
        FlagStatus.OPEN, camera, label, null, until, FlagOrder.NEWEST_FIRST, null, limit);
  }

  private static FlagQuery confirmed(int limit) {
    return new FlagQuery(
        FlagStatus.CONFIRMED, null, null, null, null, FlagOrder.NEWEST_FIRST, null, limit);
  }

  private static Set<String> keysUnder(MinioFrameStore store, String prefix) throws Exception {
    Set<String> keys = new TreeSet<>();
    store
        .bucket()
        .walk(
            prefix,
            null,
            entry -> {
              keys.add(entry.key());
              return true;
            });
    return keys;
  }

  @Test
  void pagesNewestFirstAcrossDayHourAndLeafFoldersWithoutGapsOrRepeats(TestInfo info)
      throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      List<FlagRecord> flags = boundaryFlags();
      for (FlagRecord f : flags) {
        store.createFlag(f);
      }
      List<String> expected = ids(flags.stream().sorted(newestFirst()).toList());

      for (int limit : new int[] {1, 2, 3, 5, 50}) {
        assertEquals(expected, ids(all(store, query(null, null, null, limit))), "limit " + limit);
      }
      // Each entry sits in the folders of its own day, hour and 100 s of flag time.
      String key = StorageKeys.queueEntry(FlagStatus.OPEN, FlagOrder.NEWEST_FIRST, flags.get(0));
      assertEquals("flags/open/by-time/8258/99/99/" + StorageKeys.timeEntryName(flags.get(0)), key);
      assertTrue(store.bucket().exists(key));
    }
  }

  @Test
  void startsAPageAtAnyDepthWithUntilInsideAndAcrossFolders(TestInfo info) throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      List<FlagRecord> flags = boundaryFlags();
      for (FlagRecord f : flags) {
        store.createFlag(f);
      }
      List<FlagRecord> sorted = flags.stream().sorted(newestFirst()).toList();
      for (int depth = 0; depth < sorted.size(); depth++) {
        Instant until = sorted.get(depth).flaggedAt();
        List<FlagRecord> page = store.listFlags(query(null, null, until, 3)).items();
        assertEquals(
            ids(sorted.subList(depth, Math.min(sorted.size(), depth + 3))),
            ids(page),
            "until the flag at depth " + depth);
      }
      // Before the oldest flag: nothing, and no cursor.
      Page<FlagRecord> none =
          store.listFlags(
              query(null, null, sorted.get(sorted.size() - 1).flaggedAt().minusMillis(1), 3));
      assertEquals(List.of(), none.items());
      assertNull(none.nextCursor());
    }
  }

  @Test
  void ordersLeastConfidentFirstByHundredthsThenNewestAcrossFolders(TestInfo info)
      throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      List<FlagRecord> flags = new ArrayList<>();
      double[] scores = {0.512, 0.519, 0.51, 0.5, 0.999, 1.0, 0.7, 0.0};
      for (int i = 0; i < 24; i++) {
        long inverted = (i % 3 == 0 ? DAY_FOLDER : i % 3 == 1 ? HOUR_FOLDER : LEAF) + i - 12;
        flags.add(flag(atInverted(inverted), "cam-" + (i % 2), "pothole", scores[i % 8]));
      }
      for (FlagRecord f : flags) {
        store.createFlag(f);
      }
      List<String> expected =
          ids(
              flags.stream()
                  .sorted(
                      Comparator.comparingLong(
                              (FlagRecord f) -> Math.round(f.score() * 1_000_000) / 10_000)
                          .thenComparing(FlagRecord::flaggedAt, Comparator.reverseOrder()))
                  .toList());

      FlagQuery q =
          new FlagQuery(
              FlagStatus.OPEN, null, null, null, null, FlagOrder.LEAST_CONFIDENT_FIRST, null, 4);
      assertEquals(expected, ids(all(store, q)));
    }
  }

  @Test
  void filtersByCameraAndLabelOnTheirOwnFoldersAndAnsweresAnEmptyFilterAtOnce(TestInfo info)
      throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      List<FlagRecord> flags = boundaryFlags();
      for (FlagRecord f : flags) {
        store.createFlag(f);
      }
      for (String camera : List.of("cam-0", "cam-1", "cam-2")) {
        assertEquals(
            ids(
                flags.stream()
                    .filter(f -> f.cameraId().equals(camera))
                    .sorted(newestFirst())
                    .toList()),
            ids(all(store, query(camera, null, null, 2))),
            camera);
      }
      assertEquals(
          ids(
              flags.stream()
                  .filter(f -> f.label().equals("graffiti"))
                  .sorted(newestFirst())
                  .toList()),
          ids(all(store, query(null, "graffiti", null, 2))));
      assertEquals(
          ids(
              flags.stream()
                  .filter(f -> f.label().equals("pothole") && f.cameraId().equals("cam-2"))
                  .sorted(newestFirst())
                  .toList()),
          ids(all(store, query("cam-2", "pothole", null, 1))));

      Page<FlagRecord> none = store.listFlags(query("cam-none", null, null, 60));
      assertEquals(List.of(), none.items());
      assertNull(none.nextCursor());

      // A cursor of one index is refused by another (400 for the API).
      String cursor = store.listFlags(query("cam-0", null, null, 1)).nextCursor();
      assertThrows(
          IllegalArgumentException.class,
          () -> store.listFlags(query("cam-1", null, null, 1).withCursor(cursor)));
      assertThrows(
          IllegalArgumentException.class,
          () ->
              store.listFlags(
                  query(null, null, null, 1)
                      .withCursor(Cursors.encode("flags/open/by-time/8259"))));
    }
  }

  @Test
  void movesVerdictsAcrossStatusIndexesAndCountsStayExact(TestInfo info) throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      List<FlagRecord> flags = boundaryFlags();
      for (FlagRecord f : flags) {
        store.createFlag(f);
      }
      FlagRecord judged = flags.get(4);
      store.reviewFlag(new FlagReview(judged.frameId(), Verdict.REJECT, null, null, "ann", false));

      List<String> open = ids(all(store, query(null, null, null, 5)));
      assertEquals(flags.size() - 1, open.size());
      assertTrue(!open.contains(judged.frameId()));
      assertEquals(
          List.of(judged.frameId()),
          ids(
              all(
                  store,
                  new FlagQuery(
                      FlagStatus.REJECTED,
                      null,
                      null,
                      null,
                      null,
                      FlagOrder.NEWEST_FIRST,
                      null,
                      5))));
      FlagCounts counts = store.flagCounts();
      assertEquals(flags.size() - 1, counts.of(FlagStatus.OPEN));
      assertEquals(1, counts.of(FlagStatus.REJECTED));
      FlagRecount recount = store.recountFlags();
      assertTrue(recount.applied());
      assertEquals(Map.of(), recount.drift());
    }
  }

  /** Rewrites a store's markers into the flat layout of a store written before the folders. */
  private static void flatten(MinioFrameStore store, FlagRecord flag) throws Exception {
    FlagRecord head = store.flag(flag.frameId());
    store.bucket().removeAll(StorageKeys.queueEntries(head.status(), head));
    for (String key : StorageKeys.legacyQueueEntries(head.status(), head)) {
      store.bucket().put(DurableBucket.marker(key));
    }
  }

  /**
   * The markers the migration leaves for {@code flags}: the bucketed keys of their flat names,
   * which carry no revision (the migration reads no flag).
   */
  private static Set<String> migratedMarkers(MinioFrameStore store, List<FlagRecord> flags)
      throws Exception {
    Set<String> keys = new TreeSet<>();
    for (FlagRecord f : flags) {
      FlagRecord head = store.flag(f.frameId());
      keys.addAll(StorageKeys.unrevisionedQueueEntries(head.status(), head));
    }
    return keys;
  }

  private static Set<String> queueMarkers(MinioFrameStore store) throws Exception {
    Set<String> keys = new TreeSet<>();
    for (FlagStatus s : FlagStatus.values()) {
      keys.addAll(keysUnder(store, StorageKeys.FLAGS + s.keyName() + "/"));
    }
    return keys;
  }

  @Test
  void markersNameTheRevisionAndAnOverrideLeavesOneMarkerPerIndex(TestInfo info) throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      FlagRecord f = flag(atInverted(LEAF + 5), "cam-1", "pothole", 0.62);
      store.createFlag(f);
      assertEquals(
          new TreeSet<>(StorageKeys.queueEntries(FlagStatus.OPEN, f)),
          queueMarkers(store),
          "one marker per index, each ending in .r1");
      assertTrue(StorageKeys.queueEntries(FlagStatus.OPEN, f).get(0).endsWith(".pothole.r1"));

      store.reviewFlag(new FlagReview(f.frameId(), Verdict.CONFIRM, null, null, "ann", false));
      FlagRecord overridden =
          store.reviewFlag(
              new FlagReview(f.frameId(), Verdict.CONFIRM, null, "second look", "bob", true));
      assertEquals(3, overridden.revision());
      assertEquals(
          new TreeSet<>(StorageKeys.queueEntries(FlagStatus.CONFIRMED, overridden)),
          queueMarkers(store),
          "the revision-2 markers of the same status are gone");
      assertEquals(List.of(f.frameId()), ids(all(store, confirmed(10))));
    }
  }

  @Test
  void aStaleOpenMarkerIsRepairedWhenAVerdictOnItIsRefused(TestInfo info) throws Exception {
    try (MinioFrameStore store = open(info, "a")) {
      FlagRecord f = flag(atInverted(LEAF + 7), "cam-2", "graffiti", 0.71);
      FlagRecord other = flag(atInverted(LEAF + 9), "cam-2", "graffiti", 0.55);
      store.createFlag(f);
      store.createFlag(other);
      // A node crashed after writing a verdict's revision and before moving the flag's markers.
      FlagRecord reviewed =
          f.reviewed(
              new FlagReview(f.frameId(), Verdict.CONFIRM, null, null, "ann", false),
              Instant.now());
      store
          .bucket()
          .put(DurableBucket.json(StorageKeys.flagRevision(f.frameId(), 2), reviewed, true));

      // A page reads the revision its marker names: the flag still shows as open there.
      assertEquals(
          List.of(f.frameId(), other.frameId()), ids(all(store, query(null, null, null, 10))));
      ConflictException refused =
          assertThrows(
              ConflictException.class,
              () ->
                  store.reviewFlag(
                      new FlagReview(f.frameId(), Verdict.REJECT, null, null, "bob", false)));
      assertTrue(refused.getMessage().contains("already confirmed"), refused.getMessage());

      assertEquals(List.of(other.frameId()), ids(all(store, query(null, null, null, 10))));
      Set<String> expected = new TreeSet<>(StorageKeys.queueEntries(FlagStatus.OPEN, other));
      expected.addAll(StorageKeys.queueEntries(FlagStatus.CONFIRMED, store.flag(f.frameId())));
      assertEquals(expected, queueMarkers(store), "the open markers of revision 1 are gone");
    }
  }

  @Test
  void movesTheFlatQueueOfAStoreWrittenBeforeTheFoldersWhenItOpens(TestInfo info) throws Exception {
    List<FlagRecord> flags = boundaryFlags();
    FlagCounts before;
    Set<String> expected;
    try (MinioFrameStore old = open(info, "a")) {
      for (FlagRecord f : flags) {
        old.createFlag(f);
      }
      old.reviewFlag(
          new FlagReview(flags.get(2).frameId(), Verdict.CONFIRM, null, null, "ann", false));
      for (FlagRecord f : flags) {
        flatten(old, f);
      }
      before = old.flagCounts();
      expected = migratedMarkers(old, flags);
      assertTrue(
          keysUnder(old, "flags/open/time/").size() == flags.size() - 1,
          "the arrangement left the flat layout");
    }

    try (MinioFrameStore upgraded = open(info, "b")) {
      assertEquals(expected, queueMarkers(upgraded));
      List<FlagRecord> open =
          flags.stream().filter(f -> !f.frameId().equals(flags.get(2).frameId())).toList();
      assertEquals(
          ids(open.stream().sorted(newestFirst()).toList()),
          ids(all(upgraded, query(null, null, null, 4))));
      assertEquals(
          ids(
              open.stream()
                  .filter(f -> f.cameraId().equals("cam-1"))
                  .sorted(newestFirst())
                  .toList()),
          ids(all(upgraded, query("cam-1", null, null, 4))));
      assertEquals(List.of(flags.get(2).frameId()), ids(all(upgraded, confirmed(4))));
      assertEquals(before.statuses(), upgraded.flagCounts().statuses());
      FlagRecount recount = upgraded.recountFlags();
      assertTrue(recount.applied());
      assertEquals(Map.of(), recount.drift());
      assertEquals(0, upgraded.migrateQueueIndex(), "a second run finds nothing to move");
    }
  }

  @Test
  void twoNodesFinishAnInterruptedMoveTogetherWithEveryMarkerOnce(TestInfo info) throws Exception {
    List<FlagRecord> flags = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      flags.add(
          flag(
              atInverted(HOUR_FOLDER - 150_000L + i * 997L),
              "cam-" + (i % 7),
              i % 3 == 0 ? "graffiti" : "pothole",
              (i % 100) / 100.0));
    }
    try (MinioFrameStore a = open(info, "a");
        MinioFrameStore b = open(info, "b")) {
      for (FlagRecord f : flags) {
        a.createFlag(f);
      }
      Set<String> expected = migratedMarkers(a, flags);
      // An interrupted move: every flag flat again, and a third of them also already moved.
      for (int i = 0; i < flags.size(); i++) {
        FlagRecord f = flags.get(i);
        flatten(a, f);
        if (i % 3 == 0) {
          for (String key : StorageKeys.unrevisionedQueueEntries(FlagStatus.OPEN, f)) {
            a.bucket().put(DurableBucket.marker(key));
          }
        }
      }

      ExecutorService nodes = Executors.newFixedThreadPool(2);
      try {
        Future<Long> onA = nodes.submit(a::migrateQueueIndex);
        Future<Long> onB = nodes.submit(b::migrateQueueIndex);
        assertTrue(onA.get() + onB.get() >= 4L * flags.size());
      } finally {
        nodes.shutdown();
      }

      assertEquals(expected, queueMarkers(a));
      assertEquals(
          ids(flags.stream().sorted(newestFirst()).toList()),
          ids(all(b, query(null, null, null, 60))));
      assertEquals(flags.size(), new HashSet<>(ids(all(a, query(null, null, null, 7)))).size());
    }
  }
}
