package org.cityvision.serving.cameras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.RemoveObjectArgs;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.CamerasConfig;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Camera health through the HTTP API of two real nodes over one embedded S3 store, with the real
 * urban model: faults in ingest answers, one consistent record whichever node a frame reaches,
 * recovery, static frames reusing a result, silence, and state that survives a restart.
 */
class CameraHealthApiTest {
  private static final long SILENT_AFTER_SECONDS = 10;

  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static Secrets secrets;
  static ServingNode a;
  static ServingNode b;
  static TestClient toA;
  static TestClient toB;
  static String camera;
  static String reviewer;
  static Mat scene;
  private final Random random = new Random(11);

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "health-access", "health-secret");
    secrets = new Secrets(ServingFixture.ADMIN_KEY, "health-access", "health-secret");
    a = ServingFixture.start(node(dir.resolve("a")), secrets);
    b = ServingFixture.start(node(dir.resolve("b")), secrets);
    toA = new TestClient(a.port());
    toB = new TestClient(b.port());
    camera = toA.newKey("camera", "street-camera");
    reviewer = toA.newKey("reviewer", "camera-reviewer");
    scene = SyntheticScene.render(640, 360, 5);
    Imgproc.GaussianBlur(scene, scene, new Size(0, 0), 1.0);
  }

  private static ServerConfig node(Path data) throws Exception {
    ServerConfig c = ServingFixture.withModels(data);
    StoreConfig s = c.storage();
    IngestConfig i = c.ingest();
    return c.withModels(new ModelsConfig("", c.models().urban(), true))
        .withAuth(new AuthConfig(0, 1, 200))
        .withStorage(
            new StoreConfig(
                s3.endpoint(),
                s.region(),
                "camera-health",
                false,
                s.spoolMaxBytes(),
                30_000,
                5_000))
        .withIngest(
            new IngestConfig(
                i.unknownCameras(),
                i.cameras(),
                i.thumbnailMaxSide(),
                i.thumbnailQuality(),
                i.idempotencyWaitMs(),
                i.ioThreads(),
                300))
        .withCameras(new CamerasConfig(600, SILENT_AFTER_SECONDS, 1, 20));
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
    if (scene != null) {
      scene.release();
    }
  }

  /** The scene with new sensor noise, scaled in brightness by {@code gain}. */
  private byte[] frame(double gain) {
    return noisy(scene, gain, random);
  }

  /** {@code scene} scaled in brightness by {@code gain}, with new sensor noise (σ 3), as a JPEG. */
  static byte[] noisy(Mat scene, double gain, Random random) {
    return SyntheticScene.noisyJpeg(scene, gain, 3, random.nextInt(), 85);
  }

  /** The scene defocused (new sensor noise): what a camera knocked out of focus sends. */
  private byte[] blurred() {
    Mat soft = new Mat();
    Mat saved = scene;
    try {
      Imgproc.GaussianBlur(scene, soft, new Size(0, 0), 5.0);
      scene = soft;
      return frame(1.0);
    } finally {
      scene = saved;
      soft.release();
    }
  }

  /** The open alerts of one camera, as the review page lists them. */
  private static List<JsonObject> openAlerts(TestClient node, String cameraId) {
    Response r = node.get("/v1/camera-alerts", reviewer);
    assertEquals(200, r.status(), r.text());
    return r.json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o)
        .filter(a -> a.getString("cameraId").equals(cameraId))
        .toList();
  }

  private static Response judge(
      TestClient node, String cameraId, String alertId, JsonObject verdict) {
    return node.postJson(
        "/v1/cameras/" + cameraId + "/alerts/" + alertId + "/review", reviewer, verdict);
  }

  @Test
  void aFaultBecomesAnAlertAndDismissingItTeachesTheCameraItsNewView() {
    String id = "cam-defocus";
    for (int i = 0; i < 6; i++) {
      assertEquals(List.of(), faults(post(i % 2 == 0 ? toA : toB, id, frame(1.0))));
    }
    assertEquals(List.of(), openAlerts(toA, id));
    assertEquals(List.of("blurred"), faults(post(toA, id, blurred())));
    JsonObject confirming = post(toB, id, blurred());
    assertEquals(List.of("blurred"), faults(confirming));
    List<JsonObject> open = openAlerts(toA, id);
    assertEquals(1, open.size(), open.toString());
    JsonObject alert = open.get(0);
    assertEquals("degraded", alert.getString("to"));
    assertEquals("open", alert.getString("status"));
    assertEquals(List.of("blurred"), alert.getJsonArray("faults").getList());
    assertEquals(
        confirming.getString("frameId"),
        alert.getString("frameId"),
        "the alert shows the frame that confirmed it");
    assertEquals(
        200, toA.get("/v1/frames/" + alert.getString("frameId") + "/thumbnail", reviewer).status());

    Response dismissed =
        judge(
            toB,
            id,
            alert.getString("alertId"),
            new JsonObject().put("verdict", "dismiss").put("note", "new housing, softer lens"));
    assertEquals(200, dismissed.status(), dismissed.text());
    assertEquals("dismissed", dismissed.json().getString("status"));
    assertEquals("camera-reviewer", dismissed.json().getString("reviewer"));
    Response again =
        judge(toA, id, alert.getString("alertId"), new JsonObject().put("verdict", "confirm"));
    assertEquals(409, again.status(), again.text());
    assertEquals("conflict", again.errorCode());
    assertEquals("ok", health(toA, id).getString("state"));
    assertEquals(List.of(), openAlerts(toB, id));

    for (int i = 0; i < 10; i++) {
      assertEquals(
          List.of(),
          faults(post(i % 2 == 0 ? toA : toB, id, blurred())),
          "the same soft frames no longer fault (frame " + i + ")");
    }
    JsonObject after = health(toB, id);
    assertEquals("ok", after.getString("state"));
    assertEquals("dismissed", after.getJsonArray("alerts").getJsonObject(0).getString("status"));
  }

  @Test
  void aConfirmedAlertLeavesTheCameraInFault() {
    String id = "cam-capped";
    for (int i = 0; i < 6; i++) {
      post(toA, id, frame(1.0));
    }
    post(toA, id, frame(0.03));
    post(toB, id, frame(0.03));
    JsonObject alert = openAlerts(toB, id).get(0);
    assertEquals("fault", alert.getString("to"));
    Response confirmed =
        judge(toA, id, alert.getString("alertId"), new JsonObject().put("verdict", "confirm"));
    assertEquals(200, confirmed.status(), confirmed.text());
    assertEquals("confirmed", confirmed.json().getString("status"));
    assertEquals(List.of(), openAlerts(toA, id));
    assertEquals(List.of("black"), faults(post(toB, id, frame(0.03))));
    JsonObject camera = health(toA, id);
    assertEquals("fault", camera.getString("state"), "a confirmed fault stays");
    assertEquals(
        1, camera.getJsonArray("alerts").size(), "and raises no second alert while it lasts");
  }

  @Test
  void badCameraAlertVerdictsAreRefusedWithClearErrors() {
    String id = "cam-verdicts";
    post(toA, id, frame(1.0));
    Response unknownAlert = judge(toA, id, "nope", new JsonObject().put("verdict", "confirm"));
    assertEquals(404, unknownAlert.status(), unknownAlert.text());
    Response unknownCamera =
        judge(toA, "cam-never-seen", "nope", new JsonObject().put("verdict", "confirm"));
    assertEquals(404, unknownCamera.status(), unknownCamera.text());
    Response badVerdict = judge(toA, id, "nope", new JsonObject().put("verdict", "maybe"));
    assertEquals(400, badVerdict.status());
    assertTrue(
        badVerdict
            .json()
            .getJsonObject("error")
            .getString("message")
            .contains("confirm or dismiss"),
        badVerdict.text());
    Response extraField =
        judge(toA, id, "nope", new JsonObject().put("verdict", "dismiss").put("label", "x"));
    assertEquals(400, extraField.status());
    Response badParam = toA.get("/v1/camera-alerts?status=open", reviewer);
    assertEquals(400, badParam.status(), badParam.text());
    assertEquals(
        403,
        toA.postJson(
                "/v1/cameras/" + id + "/alerts/nope/review",
                camera,
                new JsonObject().put("verdict", "confirm"))
            .status(),
        "camera keys judge nothing");
  }

  private static JsonObject post(TestClient node, String cameraId, byte[] frame) {
    Response r = node.post("/v1/cameras/" + cameraId + "/frames", camera, "image/jpeg", frame);
    assertEquals(201, r.status(), r.text());
    return r.json();
  }

  private static JsonObject health(TestClient node, String cameraId) {
    Response r = node.get("/v1/cameras/" + cameraId, reviewer);
    assertEquals(200, r.status(), r.text());
    return r.json();
  }

  /** {@code cityvision_frames_reused_total} of one node. */
  private static double reusedFrames(TestClient node) {
    String metrics = node.get("/metrics", null).text();
    return metrics
        .lines()
        .filter(l -> l.startsWith("cityvision_frames_reused_total{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static List<Object> faults(JsonObject answer) {
    return answer.getJsonObject("quality").getJsonArray("faults").getList();
  }

  @Test
  void blackFramesMakeAFaultOnOneRecordAcrossNodesAndTheCameraRecovers() {
    String id = "cam-black";
    for (int i = 0; i < 6; i++) {
      JsonObject answer = post(i % 2 == 0 ? toA : toB, id, frame(1.0));
      assertEquals(List.of(), faults(answer));
    }
    assertEquals(
        6, health(toB, id).getLong("frames"), "frames through either node count on one record");
    assertEquals(List.of("black"), faults(post(toA, id, frame(0.03))));
    assertEquals("ok", health(toA, id).getString("state"), "one black frame is not yet confirmed");
    post(toB, id, frame(0.03));
    JsonObject faulty = health(toA, id);
    assertEquals("fault", faulty.getString("state"));
    assertTrue(faulty.getJsonObject("faults").containsKey("black"), faulty.encode());
    post(toA, id, frame(1.0));
    post(toB, id, frame(1.0));
    JsonObject recovered = health(toB, id);
    assertEquals("ok", recovered.getString("state"));
    JsonArray history = recovered.getJsonArray("history");
    assertEquals(
        List.of("fault", "ok"),
        history.stream().map(h -> ((JsonObject) h).getString("to")).toList());
  }

  @Test
  void aStaticFrameReusesTheLastResultWithoutAForwardPass() throws Exception {
    String id = "cam-static";
    JsonObject first = post(toA, id, frame(1.0));
    assertFalse(first.getJsonObject("quality").getBoolean("static"));
    assertFalse(first.containsKey("reused"));
    assertEquals(
        1,
        a.store().cameraHealth(id).orElseThrow().revision(),
        "one record write names the classified frame the camera's reference");
    double reusedBefore = reusedFrames(toB);
    JsonObject second = post(toB, id, frame(1.0));
    assertTrue(second.getJsonObject("quality").getBoolean("static"), second.encode());
    assertTrue(second.getBoolean("reused"));
    assertEquals(first.getString("frameId"), second.getString("reusedFrom"));
    assertEquals(
        first.getJsonObject("classification"),
        second.getJsonObject("classification"),
        "the reused result is the earlier frame's, model version included");
    assertEquals(
        reusedBefore + 1, reusedFrames(toB), "the node that stored it counts the reused frame");
    Response stored = toA.get("/v1/frames/" + second.getString("frameId"), reviewer);
    assertEquals(200, stored.status(), stored.text());
    assertEquals(
        first.getString("frameId"),
        stored
            .json()
            .getJsonArray("results")
            .getJsonObject(0)
            .getJsonObject("result")
            .getString("reusedFrom"));
    Response thumbnail =
        toA.get("/v1/frames/" + second.getString("frameId") + "/thumbnail", reviewer);
    assertEquals(
        200,
        thumbnail.status(),
        "a reused frame is stored with its own thumbnail: " + thumbnail.text());
    assertEquals("image/jpeg", thumbnail.headers().get("Content-Type"));
    JsonObject dark = post(toA, id, frame(0.03));
    assertFalse(dark.getJsonObject("quality").getBoolean("static"), "never reused across a fault");
    assertFalse(dark.containsKey("reused"));
  }

  @Test
  void aStaticFrameWhoseEarlierResultIsGoneIsClassifiedAndBecomesTheReference() throws Exception {
    String id = "cam-expired";
    JsonObject first = post(toA, id, frame(1.0));
    // What retention does to an old frame's result.
    try (MinioClient s3client =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials("health-access", "health-secret")
            .region("us-east-1")
            .build()) {
      for (var item :
          s3client.listObjects(
              ListObjectsArgs.builder()
                  .bucket("camera-health")
                  .prefix("results/" + first.getString("frameId") + "/")
                  .recursive(true)
                  .build())) {
        s3client.removeObject(
            RemoveObjectArgs.builder()
                .bucket("camera-health")
                .object(item.get().objectName())
                .build());
      }
    }
    JsonObject second = post(toB, id, frame(1.0));
    assertTrue(second.getJsonObject("quality").getBoolean("static"));
    assertFalse(second.containsKey("reused"), second.encode());
    JsonObject third = post(toA, id, frame(1.0));
    assertEquals(second.getString("frameId"), third.getString("reusedFrom"));
  }

  @Test
  void aCameraThatStopsSendingIsSilentWithinSilentAfterAndTheStateSurvivesARestart()
      throws Exception {
    String id = "cam-quiet";
    post(toA, id, frame(1.0));
    long deadline = System.nanoTime() + Duration.ofSeconds(SILENT_AFTER_SECONDS + 10).toNanos();
    String state = "ok";
    while (!state.equals("silent") && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
      state = health(toA, id).getString("state");
    }
    assertEquals("silent", state, "silent within silentAfter + 10 s");
    Response metrics = toA.get("/metrics", null);
    assertTrue(metrics.text().contains("cityvision_cameras{state=\"silent\"}"), metrics.text());

    ServingNode c = ServingFixture.start(node(dir.resolve("c")), secrets);
    try (TestClient toC = new TestClient(c.port())) {
      JsonObject afterRestart = health(toC, id);
      assertEquals("silent", afterRestart.getString("state"));
      assertEquals(1, afterRestart.getLong("frames"));
      JsonObject back = post(toC, id, frame(1.0));
      assertEquals(List.of(), faults(back));
      assertEquals("ok", health(toA, id).getString("state"), "a frame recovers a silent camera");
    } finally {
      ServingFixture.stop(c);
    }
  }

  @Test
  void cameraHealthIsForReviewersAndAdminsAndListsEveryCamera() {
    post(toA, "cam-listed", frame(1.0));
    assertEquals(403, toA.get("/v1/cameras", camera).status());
    Response list = toB.get("/v1/cameras?limit=1000", reviewer);
    assertEquals(200, list.status(), list.text());
    assertTrue(
        list.json().getJsonArray("items").stream()
            .anyMatch(c -> ((JsonObject) c).getString("cameraId").equals("cam-listed")),
        list.text());
    assertEquals(404, toA.get("/v1/cameras/cam-never", reviewer).status());
    assertEquals(400, toA.get("/v1/cameras?limit=0", reviewer).status());
  }
}
