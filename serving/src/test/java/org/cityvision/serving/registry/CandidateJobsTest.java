package org.cityvision.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.LoopFixture;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Candidates from verdicts, as an admin drives them over HTTP on a real node: too few verdicts are
 * refused with what is missing; with enough, a job trains a candidate in the background, its state
 * (progress, then the side-by-side evaluation) is read from the store, the candidate becomes a
 * version in the store, and promoting it (forced when it is not better) makes the node answer with
 * it.
 */
class CandidateJobsTest {
  @TempDir static Path dir;
  static ServingNode node;
  static TestClient http;
  static String admin = ServingFixture.ADMIN_KEY;
  static String reviewer;
  static String sorter;
  static String liveVersion;

  @BeforeAll
  static void start() throws Exception {
    ModelPackage pkg = wasteWithReplay(dir.resolve("waste"));
    ServerConfig c = ServingFixture.withModels(dir.resolve("data"));
    node = ServingFixture.start(c.withModels(new ModelsConfig(pkg.dir().toString(), "", true)));
    http = new TestClient(node.port());
    reviewer = http.newKey("reviewer", "cand-reviewer");
    sorter = http.newKey("sorter", "cand-sorter");
    liveVersion = node.models().task("waste").orElseThrow().version();
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  /**
   * The test waste package at version 9.0.0 in {@code to}, with a replay set (see {@link
   * LoopFixture}).
   */
  static ModelPackage wasteWithReplay(Path to) throws Exception {
    return LoopFixture.wasteWithReplay(to, "9.0.0");
  }

  /**
   * Stores {@code n} frames flagged by the waste model and confirms each through the review API.
   */
  private static void confirmFlags(int n, int seed0) throws Exception {
    confirmFlags(node, http, reviewer, liveVersion, n, seed0);
  }

  /**
   * Stores {@code n} frames of machine-7 flagged by {@code node}'s waste model at {@code version}
   * (glass and metal in turn) and confirms each through the review API with {@code reviewer}'s key.
   */
  static void confirmFlags(
      ServingNode node, TestClient http, String reviewer, String liveVersion, int n, int seed0)
      throws Exception {
    FrameStore store = node.store();
    for (int i = 0; i < n; i++) {
      String label = i % 2 == 0 ? "glass" : "metal";
      FrameRecord frame =
          store.putFrame(
              new FrameUpload(
                  "machine-7",
                  Instant.now().plusMillis(seed0 + i),
                  "image/jpeg",
                  TestImages.jpeg(320, 240, seed0 + i),
                  null));
      store.createFlag(
          FlagRecord.open(frame.frameId(), label, 0.55, "waste", liveVersion, Instant.now()));
      TestClient.Response r =
          http.postJson(
              "/v1/flags/" + frame.frameId() + "/review",
              reviewer,
              new JsonObject().put("verdict", "confirm"));
      assertEquals(200, r.status(), r.text());
    }
  }

  private static JsonObject awaitFinished(String id) throws Exception {
    return CandidateFixtures.awaitFinished(http, admin, "waste", id, Duration.ofSeconds(240));
  }

  @Test
  void candidateFromVerdictsIsTrainedEvaluatedStoredAndPromotable() throws Exception {
    // Too few verdicts: 400, saying how many are missing.
    confirmFlags(6, 100);
    TestClient.Response tooFew =
        http.postJson("/v1/models/waste/candidates", admin, new JsonObject().put("mode", "head"));
    assertEquals(400, tooFew.status(), tooFew.text());
    assertEquals("not_enough_verdicts", tooFew.errorCode());
    assertTrue(
        tooFew.json().getJsonObject("error").getString("message").contains("25"), tooFew.text());

    confirmFlags(44, 200);
    TestClient.Response started =
        http.postJson("/v1/models/waste/candidates", admin, new JsonObject().put("mode", "head"));
    assertEquals(202, started.status(), started.text());
    JsonObject job = started.json();
    assertEquals("running", job.getString("state"));
    assertEquals(50, job.getInteger("verdicts"));
    assertEquals(25, job.getJsonObject("labels").getInteger("glass"));
    String id = job.getString("id");

    JsonObject done = awaitFinished(id);
    assertEquals("done", done.getString("state"), done.encodePrettily());
    JsonObject evaluation = done.getJsonObject("evaluation");
    assertTrue(
        evaluation.containsKey("better") && evaluation.containsKey("holdout"), evaluation.encode());
    String version = done.getString("version");
    assertTrue(version.startsWith(liveVersion + "-c"), version);

    // Listed, and the candidate is a version in the store beside the live one.
    JsonArray items = http.get("/v1/models/waste/candidates", admin).json().getJsonArray("items");
    assertEquals(id, items.getJsonObject(0).getString("id"));
    JsonArray versions = http.get("/v1/models/waste", admin).json().getJsonArray("versions");
    assertTrue(
        versions.stream().map(v -> ((JsonObject) v).getString("version")).anyMatch(version::equals),
        versions.encode());

    // A candidate that is not better needs force; either way the node then serves it.
    if (!evaluation.getBoolean("better")) {
      TestClient.Response refused =
          http.postJson("/v1/models/waste/candidates/" + id + "/promote", admin, new JsonObject());
      assertEquals(409, refused.status(), refused.text());
      assertEquals("candidate_not_better", refused.errorCode());
    }
    TestClient.Response promoted =
        http.postJson(
            "/v1/models/waste/candidates/" + id + "/promote",
            admin,
            new JsonObject().put("force", true).put("reason", "test"));
    assertEquals(200, promoted.status(), promoted.text());
    String answered = null;
    for (long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        System.nanoTime() < end;
        Thread.sleep(200)) {
      TestClient.Response r =
          http.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(320, 240, 7));
      assertEquals(200, r.status(), r.text());
      answered = r.json().getString("version");
      if (version.equals(answered)) {
        break;
      }
    }
    assertEquals(version, answered, "the node serves the promoted candidate");

    TestClient.Response again =
        http.postJson("/v1/models/waste/candidates/" + id + "/cancel", admin, new JsonObject());
    assertEquals(409, again.status(), again.text());
    assertEquals("candidate_finished", again.errorCode());
  }

  @Test
  void unknownCandidatesAndBadRequestsAreClientErrors() {
    assertEquals(
        404, http.get("/v1/models/waste/candidates/c19990101T000000Z-000000", admin).status());
    assertEquals(
        "unknown_model",
        http.postJson("/v1/models/nope/candidates", admin, new JsonObject()).errorCode());
    assertEquals(
        "invalid_field",
        http.postJson(
                "/v1/models/waste/candidates", admin, new JsonObject().put("mode", "everything"))
            .errorCode());
    assertEquals(
        "invalid_field",
        http.postJson("/v1/models/waste/candidates", admin, new JsonObject().put("epochs", 3))
            .errorCode());
    assertEquals(
        403, http.postJson("/v1/models/waste/candidates", reviewer, new JsonObject()).status());
    assertFalse(
        http.get("/v1/models/waste/candidates", admin).json().getJsonArray("items") == null);
  }
}
