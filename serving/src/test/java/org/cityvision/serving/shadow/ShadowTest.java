package org.cityvision.serving.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.CaptureConfig;
import org.cityvision.serving.config.InferenceConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.ShadowConfig;
import org.cityvision.serving.testing.LoopFixture;
import org.cityvision.serving.testing.LoopFixture.Captured;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A candidate in the shadow of the live waste model on a real node: answers never change, every
 * sample is compared or dropped (never waited for), agreement and confusion add up, verdicts on
 * shadowed frames score both models, and bad requests and unloadable candidates are refused or
 * reported. The tests run in order on one candidate: the live network under another version.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShadowTest {
  @TempDir static Path dir;
  static ServingNode node;
  static TestClient http;
  static final String ADMIN = ServingFixture.ADMIN_KEY;
  static String reviewer;
  static String sorter;
  static String candidate;
  static String shadowPath;

  @BeforeAll
  static void start() throws Exception {
    ModelPackage pkg = ServingFixture.wasteCopy(dir.resolve("waste"), "9.0.0");
    ServerConfig c = ServingFixture.withModels(dir.resolve("data"));
    // One live worker, warmed up: each image then gets the same answer every time.
    node =
        ServingFixture.start(
            c.withModels(new ModelsConfig(pkg.dir().toString(), "", true).withWatchMs(200))
                .withInference(new InferenceConfig(1, 1, 8, 2, 64, 0, 2, 3, true))
                .withCapture(new CaptureConfig("always", "never", 0.15, 256))
                .withShadow(new ShadowConfig(0.1, 2, 200)));
    http = new TestClient(node.port());
    reviewer = http.newKey("reviewer", "shadow-reviewer");
    sorter = http.newKey("sorter", "shadow-sorter");
    // The candidate: the live network under another version, stored with a finished job's state, so
    // that it must agree with every live answer. (LearningLoopTest shadows a candidate trained from
    // verdicts.)
    candidate = "c20261206T000000Z-5a5a5a";
    node.store()
        .models()
        .put(ServingFixture.wasteCopy(dir.resolve("candidate"), "9.0.0-" + candidate), "test");
    node.store()
        .models()
        .putCandidate(
            "waste",
            candidate,
            JsonNodeFactory.instance
                .objectNode()
                .put("id", candidate)
                .put("model", "waste")
                .put("mode", "head")
                .put("state", "done")
                .put("version", "9.0.0-" + candidate)
                .put("liveVersion", "9.0.0")
                .put("verdicts", 30)
                .put("createdAt", "2026-12-06T00:00:00Z")
                .put("updatedAt", "2026-12-06T00:00:00Z"));
    shadowPath = "/v1/models/waste/candidates/" + candidate + "/shadow";
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private static JsonObject shadow() {
    TestClient.Response r = http.get("/v1/models/waste/candidates/" + candidate, ADMIN);
    assertEquals(200, r.status(), r.text());
    return r.json().getJsonObject("shadow");
  }

  /** Compared, dropped and failed: every sample at rate 1 ends as exactly one of them. */
  private static long handled(JsonObject shadow) {
    return shadow == null
        ? 0
        : shadow.getLong("compared") + shadow.getLong("dropped") + shadow.getLong("failed");
  }

  private static JsonObject awaitHandled(long samples) {
    return LoopFixture.await(
        Duration.ofSeconds(60),
        ShadowTest::shadow,
        s -> handled(s) >= samples,
        samples + " shadow samples handled");
  }

  /** This candidate's series of a shadow counter in {@code /metrics}. */
  private static long metric(String name) {
    List<String> lines =
        http.get("/metrics", null)
            .text()
            .lines()
            .filter(
                l ->
                    l.startsWith(name + "{")
                        && l.contains("model=\"waste\"")
                        && l.contains("candidate=\"" + candidate + "\""))
            .toList();
    assertEquals(1, lines.size(), name + " series: " + lines);
    String line = lines.get(0);
    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  /**
   * Ten images, encoded once: {@code TestImages} adds noise from OpenCV's process-wide generator,
   * so the same seed gives other bytes at each call.
   */
  private static final List<byte[]> FIXED =
      IntStream.range(0, 10).mapToObj(i -> TestImages.jpeg(320, 240, 500 + i)).toList();

  /** The answers to the ten fixed images, classified one after another. */
  private static List<JsonObject> answers() {
    List<JsonObject> out = new ArrayList<>();
    for (byte[] image : FIXED) {
      TestClient.Response r = http.post("/v1/classify/waste", sorter, "image/jpeg", image);
      assertEquals(200, r.status(), r.text());
      out.add(r.json());
    }
    return out;
  }

  private static void assertSameAnswers(
      List<JsonObject> actual, List<JsonObject> expected, String when) {
    assertEquals(List.of(), differences(actual, expected), "answers " + when);
  }

  private static List<String> differences(List<JsonObject> actual, List<JsonObject> expected) {
    List<String> differences = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      for (String field : new String[] {"label", "score", "version", "top"}) {
        if (!expected.get(i).getValue(field).equals(actual.get(i).getValue(field))) {
          differences.add(
              field
                  + " of image "
                  + i
                  + ": "
                  + expected.get(i).getValue(field)
                  + " then "
                  + actual.get(i).getValue(field));
        }
      }
    }
    return differences;
  }

  private static JsonObject health() {
    return http.get("/health/ready", null).json().getJsonObject("models").getJsonObject("waste");
  }

  @Test
  @Order(1)
  void badShadowRequestsAreClientErrors() {
    for (Object rate : new Object[] {0, -0.5, 1.5, "half"}) {
      TestClient.Response r = http.postJson(shadowPath, ADMIN, new JsonObject().put("rate", rate));
      assertEquals(400, r.status(), r.text());
      assertEquals("invalid_rate", r.errorCode());
    }
    assertEquals(
        "invalid_field",
        http.postJson(shadowPath, ADMIN, new JsonObject().put("speed", 2)).errorCode());
    assertEquals(403, http.postJson(shadowPath, reviewer, new JsonObject()).status());
    assertEquals(403, http.send(HttpMethod.DELETE, shadowPath, sorter, Map.of(), null).status());
    TestClient.Response unknown =
        http.postJson(
            "/v1/models/waste/candidates/c20000101T000000Z-000000/shadow", ADMIN, new JsonObject());
    assertEquals(404, unknown.status(), unknown.text());
    TestClient.Response never = http.send(HttpMethod.DELETE, shadowPath, ADMIN, Map.of(), null);
    assertEquals(404, never.status(), never.text());
    assertEquals("unknown_shadow", never.errorCode());
    assertNull(shadow(), "no run was started by refused requests");
  }

  @Test
  @Order(2)
  void shadowNeverChangesAnswersAndCountsAgreement() {
    List<JsonObject> before = answers();
    assertSameAnswers(answers(), before, "without a shadow, twice");
    TestClient.Response started =
        http.postJson(shadowPath, ADMIN, new JsonObject().put("rate", 1.0));
    assertEquals(200, started.status(), started.text());
    assertEquals("active", started.json().getString("state"));
    assertEquals(1.0, started.json().getDouble("rate"));
    LoopFixture.await(
        Duration.ofSeconds(60),
        ShadowTest::health,
        h -> h.getJsonObject("shadow") != null && h.getJsonObject("shadow").getBoolean("loaded"),
        "the candidate loaded for the shadow");
    assertEquals(candidate, health().getJsonObject("shadow").getString("candidate"));

    assertSameAnswers(answers(), before, "with the shadow");
    JsonObject s = awaitHandled(10);
    assertEquals(10, handled(s), s.encode());
    long compared = s.getLong("compared");
    assertTrue(compared >= 1, s.encode());
    assertEquals(
        compared,
        s.getLong("agreed"),
        "the live network under another version agrees every time: " + s.encode());
    assertEquals((double) s.getLong("agreed") / compared, s.getDouble("agreement"), 1e-9);
    long inConfusion =
        s.getJsonObject("confusion").stream()
            .mapToLong(
                row ->
                    ((JsonObject) row.getValue())
                        .stream().mapToLong(c -> ((Number) c.getValue()).longValue()).sum())
            .sum();
    assertEquals(
        compared,
        inConfusion,
        "every comparison is in the confusion of live against candidate labels");
    long agreedInConfusion =
        s.getJsonObject("confusion").stream()
            .mapToLong(row -> ((JsonObject) row.getValue()).getLong(row.getKey(), 0L))
            .sum();
    assertEquals(s.getLong("agreed"), agreedInConfusion);
    assertEquals(1, s.getJsonArray("nodes").size());
    assertTrue(s.getJsonArray("nodes").getJsonObject(0).getBoolean("loaded"));

    assertEquals(
        compared,
        metric("cityvision_shadow_compared_total"),
        "the node's metrics count what it compared");
    assertEquals(s.getLong("agreed"), metric("cityvision_shadow_agreed_total"));
  }

  @Test
  @Order(3)
  void verdictsOnShadowedFramesScoreBothModels() {
    JsonObject start = awaitHandled(0);
    long handled0 = handled(start);
    JsonObject confusion0 = start.getJsonObject("confusion");
    List<Captured> frames = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      frames.addAll(LoopFixture.capture(http, sorter, 1, 700 + i));
      awaitHandled(
          handled0 + i + 1); // one at a time: the queue never fills, so each frame is compared
    }
    JsonObject s = shadow();
    assertEquals(start.getLong("dropped"), s.getLong("dropped"), s.encode());
    LoopFixture.relabel(http, reviewer, frames, List.of("glass"));

    long liveRight = frames.stream().filter(f -> f.label().equals("glass")).count();
    long candidateRight = 0;
    JsonObject confusion = s.getJsonObject("confusion");
    for (String live : confusion.fieldNames()) {
      long was = confusion0.getJsonObject(live, new JsonObject()).getLong("glass", 0L);
      candidateRight += confusion.getJsonObject(live).getLong("glass", 0L) - was;
    }
    JsonObject verdicts =
        LoopFixture.await(
            Duration.ofSeconds(30),
            () -> shadow().getJsonObject("verdicts"),
            v -> v.getInteger("n") == frames.size(),
            "verdicts on the shadowed frames");
    assertEquals(
        (double) liveRight / frames.size(),
        verdicts.getDouble("liveAccuracy"),
        1e-9,
        verdicts.encode());
    assertEquals(
        (double) candidateRight / frames.size(),
        verdicts.getDouble("candidateAccuracy"),
        1e-9,
        verdicts.encode());
  }

  @Test
  @Order(4)
  void fullShadowQueueDropsSamplesAndNeverDelaysAnswers() {
    long handled0 = handled(shadow());
    long dropped0 = shadow().getLong("dropped");
    List<Future<TestClient.Response>> all = new ArrayList<>();
    byte[] jpeg = TestImages.jpeg(320, 240, 900);
    for (int i = 0; i < 40; i++) {
      all.add(
          http.async(
              HttpMethod.POST,
              "/v1/classify/waste",
              sorter,
              Map.of("Content-Type", "image/jpeg", "X-Machine-Id", "burst"),
              jpeg));
    }
    for (Future<TestClient.Response> f : all) {
      TestClient.Response r = TestClient.await(f);
      assertEquals(200, r.status(), r.text());
    }
    JsonObject s = awaitHandled(handled0 + 40);
    assertEquals(handled0 + 40, handled(s), s.encode());
    assertTrue(
        s.getLong("dropped") > dropped0,
        "a burst beyond the shadow queue (2) drops samples: " + s.encode());
    assertEquals(
        s.getLong("dropped"),
        metric("cityvision_shadow_dropped_total"),
        "dropped samples are in the metrics");
  }

  @Test
  @Order(5)
  void stoppingTheShadowEndsTheRunOnTheNode() {
    TestClient.Response stopped = http.send(HttpMethod.DELETE, shadowPath, ADMIN, Map.of(), null);
    assertEquals(200, stopped.status(), stopped.text());
    assertEquals("ended", stopped.json().getString("state"));
    assertEquals("stopped", stopped.json().getString("endedReason"));
    assertFalse(stopped.json().getString("endedBy").isEmpty());
    LoopFixture.await(
        Duration.ofSeconds(30),
        ShadowTest::health,
        h -> h.getJsonObject("shadow") == null,
        "the node stops the shadow");
    long handled0 = handled(shadow());
    for (int i = 0; i < 5; i++) {
      assertEquals(
          200,
          http.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(320, 240, 950 + i))
              .status());
    }
    assertEquals(handled0, handled(shadow()), "an ended run samples nothing");
  }

  @Test
  @Order(6)
  void candidateThatCannotLoadIsRefusedAndReportedInHealth() throws Exception {
    var models = node.store().models();
    String broken = "c20261201T000000Z-b0b0b0";
    models.putCandidate(
        "waste",
        broken,
        JsonNodeFactory.instance
            .objectNode()
            .put("id", broken)
            .put("model", "waste")
            .put("state", "done")
            .put("version", "9.0.0-" + broken)
            .put("createdAt", "2026-12-01T00:00:00Z")
            .put("updatedAt", "2026-12-01T00:00:00Z"));
    TestClient.Response refused =
        http.postJson("/v1/models/waste/candidates/" + broken + "/shadow", ADMIN, new JsonObject());
    assertEquals(409, refused.status(), refused.text());
    assertEquals("package_invalid", refused.errorCode());

    // A run written by another node (or one whose package was removed later) is reported, not
    // fatal.
    models.putShadow(
        "waste",
        broken,
        ShadowRun.started(
                "waste", broken, "9.0.0-" + broken, 0.5, Instant.now(), "other-node-admin")
            .toJson());
    JsonObject h =
        LoopFixture.await(
            Duration.ofSeconds(30),
            ShadowTest::health,
            x ->
                x.getJsonObject("shadow") != null
                    && x.getJsonObject("shadow").getString("error") != null,
            "health reports the candidate that cannot load");
    assertFalse(h.getJsonObject("shadow").getBoolean("loaded"));
    assertTrue(h.getJsonObject("shadow").getString("error").contains(broken), h.encode());
    assertEquals(200, http.get("/health/ready", null).status(), "the node stays ready");
    assertEquals(
        200,
        http.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(320, 240, 990))
            .status());
    JsonObject view =
        http.get("/v1/models/waste/candidates/" + broken, ADMIN).json().getJsonObject("shadow");
    JsonObject reported =
        LoopFixture.await(
            Duration.ofSeconds(30),
            () ->
                http.get("/v1/models/waste/candidates/" + broken, ADMIN)
                    .json()
                    .getJsonObject("shadow"),
            v -> !v.getJsonArray("nodes").isEmpty(),
            "the node's load failure in the run " + view);
    assertFalse(reported.getJsonArray("nodes").getJsonObject(0).getBoolean("loaded"));
    assertTrue(
        reported.getJsonArray("nodes").getJsonObject(0).getString("error").contains("cannot load"));
  }
}
