package org.cityvision.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.config.CaptureConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.ShadowConfig;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.testing.LoopFixture;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learning loop end to end on two nodes sharing one S3 store, driven only through the API:
 * sorting answers captured on one node, relabelled through the other's review API, a head candidate
 * trained from the verdicts on the other node, run in the shadow of the live model on both nodes,
 * promoted (both nodes answer with it within 10 s, and the shadow ends), rolled back (both back
 * within 10 s), while a client keeps classifying on both nodes and every one of its requests
 * succeeds.
 */
class LearningLoopTest {
  static final String ADMIN = ServingFixture.ADMIN_KEY;
  static final Duration SWAP_WITHIN = Duration.ofSeconds(10);
  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static ServingNode a;
  static ServingNode b;
  static TestClient toA;
  static TestClient toB;

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "loop-access", "loop-secret");
    Secrets secrets = new Secrets(ADMIN, "loop-access", "loop-secret");
    ModelPackage waste = LoopFixture.wasteWithReplay(dir.resolve("waste"), "9.0.0");
    a = ServingFixture.start(node(dir.resolve("a"), waste), secrets);
    b = ServingFixture.start(node(dir.resolve("b"), waste), secrets);
    toA = new TestClient(a.port());
    toB = new TestClient(b.port());
  }

  private static ServerConfig node(Path data, ModelPackage waste) throws Exception {
    ServerConfig c = ServingFixture.withModels(data);
    StoreConfig s = c.storage();
    return c.withModels(new ModelsConfig(waste.dir().toString(), "", true).withWatchMs(500))
        .withStorage(
            new StoreConfig(
                s3.endpoint(), s.region(), "loop", false, s.spoolMaxBytes(), 5_000, 5_000))
        .withCapture(new CaptureConfig("always", "never", 0.15, 256))
        .withShadow(new ShadowConfig(0.1, 16, 300));
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestClient c : new TestClient[] {toA, toB}) {
      if (c != null) {
        c.close();
      }
    }
    ServingFixture.stop(a);
    ServingFixture.stop(b);
    if (s3 != null) {
      s3.close();
    }
  }

  /**
   * Classifies on both nodes in turn until stopped, counting answers by node, status and version.
   */
  private static final class SteadyClient implements AutoCloseable {
    final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread thread;

    SteadyClient(String sorter) {
      thread =
          new Thread(
              () -> {
                try (TestClient ca = new TestClient(a.port());
                    TestClient cb = new TestClient(b.port())) {
                  for (int i = 0; running.get(); i++) {
                    TestClient c = i % 2 == 0 ? ca : cb;
                    TestClient.Response r =
                        c.send(
                            HttpMethod.POST,
                            "/v1/classify/waste",
                            sorter,
                            Map.of("Content-Type", "image/jpeg", "X-Capture", "never"),
                            TestImages.jpeg(320, 240, 5000 + i % 50));
                    String key =
                        (i % 2 == 0 ? "a" : "b")
                            + " "
                            + r.status()
                            + " "
                            + (r.status() == 200 ? r.json().getString("version") : r.text());
                    answers.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
                  }
                }
              },
              "steady-client");
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
    }
  }

  private static String versionAnswered(TestClient node, String sorter) {
    TestClient.Response r =
        node.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(320, 240, 77));
    assertEquals(200, r.status(), r.text());
    return r.json().getString("version");
  }

  /** Waits until both nodes answer with {@code version}; returns how long it took. */
  private static Duration bothAnswer(String version, String sorter) {
    long t0 = System.nanoTime();
    for (TestClient node : new TestClient[] {toA, toB}) {
      LoopFixture.await(
          Duration.ofSeconds(30),
          () -> versionAnswered(node, sorter),
          version::equals,
          "node answering with " + version);
    }
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  @Test
  void capturedAnswersRelabelledThroughTheApiBecomeACandidateThatIsShadowedPromotedAndRolledBack()
      throws Exception {
    String sorter = toA.newKey("sorter", "loop-sorter");
    // The steady client's answers are not what reviewers relabel: it asks not to be captured.
    String steadyKey =
        toA.postJson(
                "/v1/keys",
                ADMIN,
                new JsonObject()
                    .put("role", "sorter")
                    .put("name", "loop-steady")
                    .put("allowCaptureOverride", true))
            .json()
            .getString("key");
    String reviewer = toA.newKey("reviewer", "loop-reviewer");
    String live = versionAnswered(toA, sorter);
    List<String> labels = a.models().task("waste").orElseThrow().spec().labels();

    try (SteadyClient steady = new SteadyClient(steadyKey)) {
      // Answers captured on A and relabelled through B's review API; a head candidate, started on
      // B,
      // trains there and is followed from A.
      String id =
          LoopFixture.candidateFromCaptures(toA, toB, sorter, reviewer, labels).getString("id");
      JsonObject done = LoopFixture.finishedCandidate(toA, ADMIN, "waste", id);
      assertEquals("done", done.getString("state"), done.encode());
      assertTrue(done.getInteger("verdicts") >= 30, done.encode());
      String version = done.getString("version");

      // Shadowed on both nodes: each loads it and compares a sample of the steady traffic.
      TestClient.Response shadow =
          toB.postJson(
              "/v1/models/waste/candidates/" + id + "/shadow",
              ADMIN,
              new JsonObject().put("rate", 0.5));
      assertEquals(200, shadow.status(), shadow.text());
      JsonObject run =
          LoopFixture.await(
              Duration.ofSeconds(90),
              () ->
                  toA.get("/v1/models/waste/candidates/" + id, ADMIN)
                      .json()
                      .getJsonObject("shadow"),
              s ->
                  s.getJsonArray("nodes").size() == 2
                      && s.getJsonArray("nodes").stream()
                          .allMatch(n -> ((JsonObject) n).getLong("compared") > 0),
              "comparisons from both nodes");
      assertEquals(0.5, run.getDouble("rate"));
      assertTrue(run.getLong("compared") >= 2, run.encode());

      // Promote: both nodes answer with the candidate within 10 s, and its shadow run ends.
      TestClient.Response promoted =
          toA.postJson(
              "/v1/models/waste/candidates/" + id + "/promote",
              ADMIN,
              new JsonObject().put("force", true).put("reason", "learning loop test"));
      assertEquals(200, promoted.status(), promoted.text());
      Duration toNew = bothAnswer(version, sorter);
      assertTrue(
          toNew.compareTo(SWAP_WITHIN) <= 0, "both nodes served " + version + " after " + toNew);
      JsonObject ended =
          LoopFixture.await(
              Duration.ofSeconds(20),
              () ->
                  toB.get("/v1/models/waste/candidates/" + id, ADMIN)
                      .json()
                      .getJsonObject("shadow"),
              s -> "ended".equals(s.getString("state")),
              "the shadow run ended by the promotion");
      assertEquals("promotion", ended.getString("endedBy"));

      // Roll back: both nodes answer with the previous version within 10 s.
      TestClient.Response rolledBack =
          toB.postJson(
              "/v1/models/waste/rollback",
              ADMIN,
              new JsonObject().put("reason", "learning loop test"));
      assertEquals(200, rolledBack.status(), rolledBack.text());
      Duration toOld = bothAnswer(live, sorter);
      assertTrue(
          toOld.compareTo(SWAP_WITHIN) <= 0, "both nodes served " + live + " again after " + toOld);

      steady.close();
      System.out.println(
          "learning loop: promote -> both nodes on "
              + version
              + ": "
              + toNew.toMillis()
              + " ms; rollback -> both on "
              + live
              + ": "
              + toOld.toMillis()
              + " ms; shadow compared "
              + run.getLong("compared")
              + " on 2 nodes; steady client "
              + steady.answers.values().stream().mapToLong(AtomicLong::get).sum()
              + " requests");
      Map<String, Long> seen = new TreeMap<>();
      steady.answers.forEach((k, v) -> seen.put(k, v.get()));
      assertTrue(
          seen.keySet().stream().allMatch(k -> k.split(" ")[1].equals("200")),
          "every request of the steady client succeeded: " + seen);
      for (String node : new String[] {"a", "b"}) {
        assertTrue(
            seen.getOrDefault(node + " 200 " + version, 0L) > 0,
            "node " + node + " answered with the " + "candidate while it was live: " + seen);
      }
    }
  }
}
