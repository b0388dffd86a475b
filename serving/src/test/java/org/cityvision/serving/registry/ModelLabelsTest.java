package org.cityvision.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.ModelLabel;
import org.cityvision.core.testing.TestImages;
import org.cityvision.models.candidate.VerdictSplit;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * A taxonomy that grows, as an admin and reviewers drive it over HTTP on a real node with the real
 * engine and a real S3 server: an admin adds a label, reviewers relabel frames to it, a candidate
 * learns it as a new class (reported separately in its evaluation), and once promoted the node
 * answers with it. Bad requests are client errors; labels another node adds reach this node.
 */
class ModelLabelsTest {
  @TempDir static Path dir;
  static ServingNode node;
  static TestClient http;
  static String admin = ServingFixture.ADMIN_KEY;
  static String reviewer;
  static String sorter;
  static String liveVersion;

  @BeforeAll
  static void start() throws Exception {
    ModelPackage pkg = ServingFixture.wasteCopy(dir.resolve("waste"), "9.1.0");
    if (ReplaySet.of(pkg).isEmpty()) {
      CandidateFixtures.syntheticReplay(pkg, 7).write(pkg.dir().resolve(ReplaySet.FILE));
    }
    ServerConfig c = ServingFixture.withModels(dir.resolve("data"));
    node = ServingFixture.start(c.withModels(new ModelsConfig(pkg.dir().toString(), "", true)));
    http = new TestClient(node.port());
    reviewer = http.newKey("reviewer", "labels-reviewer");
    sorter = http.newKey("sorter", "labels-sorter");
    liveVersion = node.models().task("waste").orElseThrow().version();
    OpenCvRuntime.load();
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  /**
   * Bold diagonal stripes in saturated colours: nothing like the camera-like scenes of the other
   * frames.
   */
  private static byte[] textile(int seed) {
    Random random = new Random(seed);
    Mat mat =
        new Mat(
            240,
            320,
            CvType.CV_8UC3,
            new Scalar(40 + random.nextInt(30), 20, 200 + random.nextInt(40)));
    try {
      int step = 18 + random.nextInt(8);
      for (int x = -240; x < 320; x += step) {
        Imgproc.line(
            mat,
            new Point(x, 0),
            new Point(x + 240, 240),
            new Scalar(230, 230 - random.nextInt(40), 30),
            step / 3);
      }
      return TestImages.encode(mat, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90);
    } finally {
      mat.release();
    }
  }

  /** Stores a frame the waste model flagged as {@code flagged}; returns its id. */
  private static String flaggedFrame(byte[] jpeg, String flagged, int i) throws Exception {
    FrameRecord frame =
        node.store()
            .putFrame(
                new FrameUpload(
                    "machine-3", Instant.now().plusMillis(i), "image/jpeg", jpeg, null));
    node.store()
        .createFlag(
            FlagRecord.open(frame.frameId(), flagged, 0.5, "waste", liveVersion, Instant.now()));
    return frame.frameId();
  }

  private static TestClient.Response review(String frameId, JsonObject verdict) {
    return http.postJson("/v1/flags/" + frameId + "/review", reviewer, verdict);
  }

  private static List<String> sessionLabels() {
    TestClient.Response r = http.get("/v1/review/session", reviewer);
    assertEquals(200, r.status(), r.text());
    return r.json().getJsonObject("models").getJsonArray("waste").stream()
        .map(String::valueOf)
        .toList();
  }

  @Test
  void addedLabelIsLearnedByACandidateAndAnsweredOncePromoted() throws Exception {
    String first = flaggedFrame(textile(1), "glass", 0);
    TestClient.Response refused =
        review(first, new JsonObject().put("verdict", "relabel").put("label", "textile"));
    assertEquals(400, refused.status(), "a label the model does not have yet: " + refused.text());

    TestClient.Response added =
        http.postJson(
            "/v1/models/waste/labels",
            admin,
            new JsonObject()
                .put("label", "textile")
                .put("description", "clothes, rags and other fabric"));
    assertEquals(201, added.status(), added.text());
    assertEquals("added", added.json().getJsonObject("label").getString("source"));
    JsonArray listed = http.get("/v1/models/waste/labels", sorter).json().getJsonArray("labels");
    JsonObject last = listed.getJsonObject(listed.size() - 1);
    assertEquals("textile", last.getString("label"));
    assertEquals("clothes, rags and other fabric", last.getString("description"));
    assertEquals("package", listed.getJsonObject(0).getString("source"));
    assertTrue(sessionLabels().contains("textile"), "the review session offers the new label");
    assertTrue(
        http.get("/v1/models/waste", sorter)
            .json()
            .getJsonArray("addedLabels")
            .contains("textile"));

    // Reviewers relabel striped fabric photos the model called glass or metal, until the new label
    // has
    // 24 verdicts with at least 3 in the holdout; other flags are confirmed.
    List<String> textileFrames = new ArrayList<>(List.of(first));
    assertEquals(
        200,
        review(first, new JsonObject().put("verdict", "relabel").put("label", "textile")).status());
    int holdout = VerdictSplit.isHoldout(first) ? 1 : 0;
    for (int i = 2; textileFrames.size() < 24 || holdout < 3; i++) {
      String id = flaggedFrame(textile(i), i % 2 == 0 ? "glass" : "metal", i);
      TestClient.Response r =
          review(id, new JsonObject().put("verdict", "relabel").put("label", "textile"));
      assertEquals(200, r.status(), r.text());
      textileFrames.add(id);
      holdout += VerdictSplit.isHoldout(id) ? 1 : 0;
    }
    for (int i = 0; i < 26; i++) {
      String id =
          flaggedFrame(
              TestImages.jpeg(320, 240, 500 + i), i % 2 == 0 ? "glass" : "metal", 1000 + i);
      assertEquals(200, review(id, new JsonObject().put("verdict", "confirm")).status());
    }

    TestClient.Response started =
        http.postJson("/v1/models/waste/candidates", admin, new JsonObject().put("mode", "head"));
    assertEquals(202, started.status(), started.text());
    assertEquals(
        textileFrames.size(), started.json().getJsonObject("labels").getInteger("textile"));
    // Labels other tests added have too few verdicts to learn: held back, not blocking the
    // candidate.
    JsonObject heldBack = started.json().getJsonObject("heldBack", new JsonObject());
    assertFalse(heldBack.containsKey("textile"), started.text());
    JsonObject done =
        CandidateFixtures.awaitFinished(
            http, admin, "waste", started.json().getString("id"), Duration.ofSeconds(300));
    assertEquals("done", done.getString("state"), done.encodePrettily());

    JsonObject evaluation = done.getJsonObject("evaluation");
    JsonObject newClasses = evaluation.getJsonObject("newClasses");
    assertEquals(Set.of("textile"), newClasses.fieldNames(), evaluation.encodePrettily());
    assertEquals(
        holdout,
        newClasses.getJsonObject("textile").getInteger("holdoutSupport"),
        evaluation.encode());
    assertEquals(
        textileFrames.size() - holdout,
        newClasses.getJsonObject("textile").getInteger("trainExamples"));

    String version = done.getString("version");
    TestClient.Response promoted =
        http.postJson(
            "/v1/models/waste/candidates/" + done.getString("id") + "/promote",
            admin,
            new JsonObject().put("force", true).put("reason", "learns textile"));
    assertEquals(200, promoted.status(), promoted.text());
    JsonObject answer = null;
    for (long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        System.nanoTime() < end;
        Thread.sleep(200)) {
      TestClient.Response r = http.post("/v1/classify/waste", sorter, "image/jpeg", textile(9001));
      assertEquals(200, r.status(), r.text());
      answer = r.json();
      if (version.equals(answer.getString("version"))) {
        break;
      }
    }
    assertEquals(version, answer.getString("version"), "the node serves the promoted candidate");
    assertEquals("textile", answer.getString("label"), answer.encodePrettily());
    JsonObject card = http.get("/v1/models/waste", sorter).json();
    assertTrue(card.getJsonArray("labels").contains("textile"), card.encode());
    assertFalse(
        card.getJsonArray("addedLabels").contains("textile"),
        "the served package now ships the label");
  }

  @Test
  void badLabelRequestsAreClientErrors() {
    assertEquals(
        "invalid_label",
        http.postJson("/v1/models/waste/labels", admin, new JsonObject().put("label", "wet paper"))
            .errorCode());
    assertEquals(
        "invalid_label",
        http.postJson("/v1/models/waste/labels", admin, new JsonObject()).errorCode());
    assertEquals(
        "invalid_field",
        http.postJson(
                "/v1/models/waste/labels",
                admin,
                new JsonObject().put("label", "rubber").put("colour", "red"))
            .errorCode());
    assertEquals(
        "invalid_label",
        http.postJson(
                "/v1/models/waste/labels",
                admin,
                new JsonObject().put("label", "rubber").put("description", "x".repeat(501)))
            .errorCode());
    TestClient.Response packaged =
        http.postJson("/v1/models/waste/labels", admin, new JsonObject().put("label", "glass"));
    assertEquals(409, packaged.status(), packaged.text());
    assertEquals("label_exists", packaged.errorCode());
    TestClient.Response unknown =
        http.postJson("/v1/models/nope/labels", admin, new JsonObject().put("label", "x"));
    assertEquals(404, unknown.status(), unknown.text());
    assertEquals("unknown_model", unknown.errorCode());
    assertEquals(404, http.get("/v1/models/nope/labels", admin).status());
    assertEquals(
        403,
        http.postJson("/v1/models/waste/labels", reviewer, new JsonObject().put("label", "x"))
            .status());
    TestClient.Response notJson =
        http.send(
            HttpMethod.POST,
            "/v1/models/waste/labels",
            admin,
            Map.of("Content-Type", "application/json"),
            "{".getBytes(StandardCharsets.UTF_8));
    assertEquals(400, notJson.status(), notJson.text());
  }

  @Test
  void twoAdminsAddingTheSameLabelAtOnceGetOneLabelAndOneConflict() {
    List<Future<TestClient.Response>> same = new ArrayList<>();
    List<Future<TestClient.Response>> different = new ArrayList<>();
    byte[] body =
        new JsonObject().put("label", "ceramics").encode().getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 2; i++) {
      same.add(
          http.async(
              HttpMethod.POST,
              "/v1/models/waste/labels",
              admin,
              Map.of("Content-Type", "application/json"),
              body));
      different.add(
          http.async(
              HttpMethod.POST,
              "/v1/models/waste/labels",
              admin,
              Map.of("Content-Type", "application/json"),
              new JsonObject()
                  .put("label", "battery_" + i)
                  .encode()
                  .getBytes(StandardCharsets.UTF_8)));
    }
    List<Integer> statuses = same.stream().map(f -> TestClient.await(f).status()).sorted().toList();
    assertEquals(List.of(201, 409), statuses);
    assertEquals(
        List.of(201, 201), different.stream().map(f -> TestClient.await(f).status()).toList());
    List<String> labels =
        http.get("/v1/models/waste/labels", admin).json().getJsonArray("labels").stream()
            .map(o -> ((JsonObject) o).getString("label"))
            .toList();
    assertEquals(1, labels.stream().filter("ceramics"::equals).count(), labels.toString());
    assertTrue(labels.containsAll(List.of("battery_0", "battery_1")), labels.toString());
  }

  @Test
  void labelAddedByAnotherNodeReachesThisNodesReviewers() throws Exception {
    // Another node sharing the store writes the label; this node has no request to learn it from.
    node.store()
        .models()
        .addLabel("waste", new ModelLabel("mattress", "", "other-node-admin", Instant.now()));
    boolean seen = false;
    for (long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        !seen && System.nanoTime() < end; ) {
      seen = sessionLabels().contains("mattress");
      if (!seen) {
        Thread.sleep(100);
      }
    }
    assertTrue(seen, "the session lists a label added by another node within a few refreshes");
    String id = flaggedFrame(TestImages.jpeg(320, 240, 77), "trash", 77_000);
    TestClient.Response r =
        review(id, new JsonObject().put("verdict", "relabel").put("label", "mattress"));
    assertEquals(200, r.status(), r.text());
    assertFalse(http.get("/v1/models/waste/labels", admin).json().getJsonArray("labels").isEmpty());
  }
}
