package org.cityvision.core.storage.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.frame.Durability;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.core.storage.spool.SpoolObject;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw object operations against the real embedded S3 server, each test in its own bucket. */
class DurableBucketTest {
  private static final String ACCESS = "cityvision-test";
  private static final String SECRET = "cityvision-test-secret";
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @TempDir Path dataDir;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedS3Server.start(serverDir, 0, ACCESS, SECRET);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  private DurableBucket open(String endpoint) throws Exception {
    StorageConfig config =
        StorageConfig.embedded(dataDir)
            .withEndpoint(endpoint, ACCESS, SECRET)
            .withBucket("t-durable-bucket-" + BUCKETS.incrementAndGet())
            .withSpool(16L << 20, Duration.ofMillis(200))
            .withRequestTimeout(Duration.ofSeconds(5));
    return DurableBucket.open(config, endpoint, ACCESS, SECRET);
  }

  private DurableBucket open() throws Exception {
    DurableBucket bucket = open(server.endpoint());
    bucket.ensureBucket();
    return bucket;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void createOnlyPutLetsTheFirstWriterWinAndRefusesTheSecond() throws Exception {
    try (DurableBucket bucket = open()) {
      bucket.put(DurableBucket.json("c/one.json", Map.of("v", 1), true));
      assertThrows(
          ConflictException.class,
          () -> bucket.put(DurableBucket.json("c/one.json", Map.of("v", 2), true)));
      assertEquals(Map.of("v", 1), bucket.readJson("c/one.json", Map.class).orElseThrow());
      bucket.put(DurableBucket.json("c/one.json", Map.of("v", 3), false));
      assertEquals(Map.of("v", 3), bucket.readJson("c/one.json", Map.class).orElseThrow());
    }
  }

  @Test
  void readsVerifyTheChecksumWrittenWithTheObject() throws Exception {
    try (DurableBucket bucket = open()) {
      bucket.put(DurableBucket.object("o/good", "text/plain", Map.of(), utf8("good"), false));
      DurableBucket.Blob good = bucket.read("o/good");
      assertArrayEquals(utf8("good"), good.bytes());
      assertEquals(Durability.STORED, good.durability());
      bucket.put(
          new SpoolObject(
              "o/bad",
              "text/plain",
              Map.of(DurableBucket.META_SHA256, StorageKeys.sha256Hex(utf8("other"))),
              utf8("bad"),
              false));
      assertThrows(ChecksumMismatchException.class, () -> bucket.read("o/bad"));
    }
  }

  @Test
  void missingObjectsReadAsAbsentAndRemoveQuietly() throws Exception {
    try (DurableBucket bucket = open()) {
      assertEquals(Optional.empty(), bucket.readIfPresent("none"));
      assertEquals(Optional.empty(), bucket.stat("none"));
      assertFalse(bucket.exists("none"));
      assertThrows(ObjectNotFoundException.class, () -> bucket.read("none"));
      bucket.remove("none");
      bucket.put(DurableBucket.marker("here"));
      assertTrue(bucket.exists("here"));
      assertEquals(0, bucket.stat("here").orElseThrow().size());
    }
  }

  @Test
  void keyPagesResumeAfterTheirCursorAndRefuseAnotherListingsCursor() throws Exception {
    try (DurableBucket bucket = open()) {
      for (String key : List.of("a/1", "a/2", "a/3", "a/4", "a/5", "b/1")) {
        bucket.put(DurableBucket.marker(key));
      }
      List<String> seen = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        Page<String> page = bucket.listKeyPage("a/", cursor, 2);
        seen.addAll(page.items());
        cursor = page.nextCursor();
        pages++;
      } while (cursor != null);
      assertEquals(List.of("a/1", "a/2", "a/3", "a/4", "a/5"), seen);
      assertEquals(3, pages);
      String fromA = bucket.listKeyPage("a/", null, 2).nextCursor();
      assertThrows(IllegalArgumentException.class, () -> bucket.listKeyPage("b/", fromA, 2));
      assertNull(bucket.listKeyPage("b/", null, 1).nextCursor());
    }
  }

  @Test
  void aLevelListsItsFoldersApartFromItsKeys() throws Exception {
    try (DurableBucket bucket = open()) {
      for (String key : List.of("q/1/x", "q/1/y", "q/2/z", "q/k")) {
        bucket.put(DurableBucket.marker(key));
      }
      DurableBucket.Level level = bucket.listLevel("q/");
      assertEquals(List.of("q/1/", "q/2/"), level.folders());
      assertEquals(List.of("q/k"), level.keys());
    }
  }

  @Test
  void aWalkStopsWhenItsVisitorSaysSoAndRemoveAllDeletesPastOneBatch() throws Exception {
    try (DurableBucket bucket = open()) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 1_001; i++) {
        String key = String.format("m/%04d", i);
        keys.add(key);
        bucket.put(DurableBucket.marker(key));
      }
      List<String> walked = new ArrayList<>();
      bucket.walk(
          "m/",
          "m/0009",
          entry -> {
            walked.add(entry.key());
            return walked.size() < 3;
          });
      assertEquals(List.of("m/0010", "m/0011", "m/0012"), walked);
      assertEquals(keys.subList(0, 10), bucket.listKeys("m/", 10));
      bucket.removeAll(keys);
      assertEquals(List.of(), bucket.listKeys("m/", 10));
    }
  }

  @Test
  void newestReadsTheFirstListedRecordOfAChainAndSkipsNamesThatAreNotRevisions() throws Exception {
    try (DurableBucket bucket = open()) {
      bucket.put(DurableBucket.json("chain/9999999998.json", Map.of("revision", 1), true));
      bucket.put(DurableBucket.json("chain/9999999997.json", Map.of("revision", 2), true));
      // The embedded server lists a write in flight under a temporary name like this one.
      bucket.put(
          DurableBucket.json("chain/9999999996.json-3f2a9c1e", Map.of("revision", "x"), true));
      assertEquals(Map.of("revision", 2), bucket.newest("chain/", Map.class).orElseThrow());
      assertEquals(
          List.of("chain/9999999997.json", "chain/9999999998.json"),
          bucket.listRevisions("chain/", 3));
      assertEquals(Optional.empty(), bucket.newest("nothing/", Map.class));
    }
  }

  @Test
  void writesGoToTheSpoolWhileMinioIsUnreachableAndReadFromIt() throws Exception {
    // Port 1 refuses connections at once.
    try (DurableBucket bucket = open("http://127.0.0.1:1")) {
      assertFalse(bucket.reachable());
      assertThrows(StoreUnavailableException.class, bucket::ensureBucket);
      SpoolObject frame = DurableBucket.object("s/frame", "image/jpeg", Map.of(), utf8("x"), false);
      assertEquals(Durability.SPOOLED, bucket.writeDurably(List.of(frame)));
      assertTrue(bucket.down(), "later writes skip the timeout");
      DurableBucket.Blob spooled = bucket.read("s/frame");
      assertEquals(Durability.SPOOLED, spooled.durability());
      assertArrayEquals(utf8("x"), spooled.bytes());
      assertEquals(1, bucket.spool().items());
      assertThrows(StoreUnavailableException.class, () -> bucket.listKeys("s/", 10));
    }
  }
}
