package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.Secrets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cityvision retention} on a store with thousands of objects: a dry run counts and deletes
 * nothing; a pass killed with SIGKILL part-way deletes nothing that must stay, and the next pass
 * finishes the work.
 */
class RetentionCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.now();
  @TempDir static Path data;
  static final List<String> oldUnflagged = new ArrayList<>();
  static final List<String> openFlagged = new ArrayList<>();
  static final List<String> reviewedLongAgo = new ArrayList<>();
  static final List<String> reviewedRecently = new ArrayList<>();
  static final List<String> young = new ArrayList<>();

  /** The embedded S3 server over the data folder, as the command runs one. */
  private static EmbeddedS3Server s3;

  @AfterAll
  static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  /**
   * 1,200 frames (2,400 objects), 1,000 results, 500 flags with their queue entries, 300 verdicts.
   */
  @BeforeAll
  static void fill() throws Exception {
    s3 = EmbeddedS3Server.start(data.resolve("s3"), 0, "test", "test-secret");
    ExecutorService writers = Executors.newFixedThreadPool(6);
    try (FrameStore store = open(Clock.systemUTC())) {
      List<Future<String>> ids = new ArrayList<>();
      for (int i = 0; i < 1200; i++) {
        int n = i;
        Instant captured =
            n < 1000 ? NOW.minus(Duration.ofDays(200)).plusSeconds(n) : NOW.minusSeconds(3600 + n);
        ids.add(
            writers.submit(
                () -> {
                  String id =
                      store
                          .putFrame(
                              new FrameUpload(
                                  "cam-" + (n % 7),
                                  captured,
                                  "image/jpeg",
                                  bytes(n, 600),
                                  bytes(~n, 200)))
                          .frameId();
                  if (n < 1000) {
                    store.putResult(
                        new ResultRecord(
                            id,
                            "urban",
                            "1.1.0",
                            captured,
                            JSON.createObjectNode().put("label", "normal")));
                  }
                  if (n >= 500 && n < 1000) {
                    store.createFlag(
                        FlagRecord.open(id, "graffiti", 0.9, "urban", "1.1.0", captured));
                  }
                  return id;
                }));
      }
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i).get(5, TimeUnit.MINUTES);
        (i < 500
                ? oldUnflagged
                : i < 700
                    ? openFlagged
                    : i < 900 ? reviewedLongAgo : i < 1000 ? reviewedRecently : young)
            .add(id);
      }
      for (String id : reviewedRecently) {
        store.reviewFlag(new FlagReview(id, Verdict.CONFIRM, null, null, "alice", false));
      }
    } finally {
      writers.shutdownNow();
    }
    try (FrameStore store = open(Clock.fixed(NOW.minus(Duration.ofDays(150)), ZoneOffset.UTC))) {
      for (String id : reviewedLongAgo) {
        store.reviewFlag(new FlagReview(id, Verdict.REJECT, null, null, "bob", false));
      }
    }
  }

  @Test
  void dryRunThenAPassKilledPartWayThenAPassThatFinishes() throws Exception {
    CliRun dry = CliRun.of("retention", "--dry-run", "--data", data.toString());
    assertEquals(0, dry.exit(), dry.err());
    JsonNode counted = JSON.readTree(dry.out());
    assertEquals(700, counted.get("framesDeleted").asLong(), dry.out());
    assertEquals(200, counted.get("flagsDeleted").asLong());
    assertEquals(200, counted.get("keptOpenFlags").asLong());
    try (FrameStore store = open(Clock.systemUTC())) {
      for (String id : List.of(oldUnflagged.get(0), reviewedLongAgo.get(0))) {
        assertEquals(id, store.frame(id).frameId(), "a dry run deletes nothing");
      }
    }

    Process pass =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dcityvision.home=" + Home.root(),
                Main.class.getName(),
                "retention",
                "--data",
                data.toString(),
                "--chunk-size",
                "20")
            .redirectOutput(data.resolve("killed.out").toFile())
            .start();
    try {
      BufferedReader err =
          new BufferedReader(new InputStreamReader(pass.getErrorStream(), StandardCharsets.UTF_8));
      long deleting = 0;
      for (String line; deleting < 100 && (line = ProcessLines.next(err, 120)) != null; ) {
        Matcher m = Pattern.compile("(\\d+) deleted").matcher(line);
        if (m.find()) {
          deleting = Long.parseLong(m.group(1));
        }
      }
      assertTrue(deleting >= 100, "the pass was deleting when killed");
      pass.destroyForcibly();
      assertTrue(pass.waitFor(30, TimeUnit.SECONDS));
    } finally {
      pass.destroyForcibly();
    }
    try (FrameStore store = open(Clock.systemUTC())) {
      assertTrue(
          exists(store, reviewedLongAgo.get(reviewedLongAgo.size() - 1)), "killed before the end");
      assertKept(store);
    }

    CliRun rerun = CliRun.of("retention", "--data", data.toString());

    assertEquals(0, rerun.exit(), rerun.err());
    try (FrameStore store = open(Clock.systemUTC())) {
      for (String id : concat(oldUnflagged, reviewedLongAgo)) {
        assertFalse(exists(store, id), "deleted: " + id);
        assertTrue(store.results(id).isEmpty(), "its results too: " + id);
      }
      assertKept(store);
      assertEquals(
          0,
          store.listFlags(FlagQuery.of(FlagStatus.REJECTED, 1000)).items().size(),
          "no queue entry outlives its flag");
      assertEquals(300, store.listReviews(null, 1000).items().size(), "verdicts are kept");
    }
  }

  private static void assertKept(FrameStore store) throws Exception {
    for (String id : concat(openFlagged, reviewedRecently, young)) {
      assertTrue(exists(store, id), "kept: " + id);
    }
    for (String id : concat(openFlagged, reviewedRecently)) {
      assertEquals(1, store.results(id).size(), id);
      assertEquals(id, store.flag(id).frameId());
    }
    assertEquals(200, store.listFlags(FlagQuery.of(FlagStatus.OPEN, 1000)).items().size());
    assertEquals(100, store.listFlags(FlagQuery.of(FlagStatus.CONFIRMED, 1000)).items().size());
  }

  @SafeVarargs
  private static List<String> concat(List<String>... lists) {
    List<String> out = new ArrayList<>();
    for (List<String> l : lists) {
      out.addAll(l);
    }
    return out;
  }

  private static boolean exists(FrameStore store, String id) throws Exception {
    try {
      store.frame(id);
      return true;
    } catch (ObjectNotFoundException e) {
      return false;
    }
  }

  private static FrameStore open(Clock clock) throws Exception {
    KeysCommand.StoreOptions options = new KeysCommand.StoreOptions();
    options.data = data;
    return FrameStores.open(
        options
            .serverConfig()
            .storage()
            .withEndpoint(s3.endpoint())
            .storageConfig(data, Secrets.NONE.withS3Keys(s3.accessKey(), s3.secretKey())),
        clock);
  }

  private static byte[] bytes(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    return b;
  }
}
