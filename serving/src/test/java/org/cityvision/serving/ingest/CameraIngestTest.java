package org.cityvision.serving.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.config.UnknownCameras;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Camera frames in: storage, thumbnails, results, flags, idempotent retries, camera registry. */
class CameraIngestTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String camera;
  static String reviewer;

  @BeforeAll
  static void start() throws Exception {
    var config = ServingFixture.withModels(data);
    config =
        config.withIngest(
            new IngestConfig(
                UnknownCameras.REFUSE,
                List.of(
                    "cam-raw",
                    "cam-png",
                    "cam-multi",
                    "cam-idem",
                    "cam-race",
                    "cam-time",
                    "cam-reuse",
                    "cam-flag"),
                320,
                80,
                5_000,
                8,
                0));
    node = ServingFixture.start(config);
    http = new TestClient(node.port());
    camera = http.newKey("camera", "camera-1");
    reviewer = http.newKey("reviewer", "reviewer-1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private static int framesOf(String cameraId) throws Exception {
    return node.store().listFrames("frames/" + cameraId + "/", null, 1000).items().size();
  }

  @Test
  void rawJpegIsStoredClassifiedAndThumbnailed() throws Exception {
    byte[] jpeg = TestImages.jpeg(1920, 1080, 21);
    Response r = http.post("/v1/cameras/cam-raw/frames", camera, "image/jpeg", jpeg);
    assertEquals(201, r.status(), r.text());
    JsonObject a = r.json();
    String frameId = a.getString("frameId");
    assertTrue(frameId.startsWith("cam-raw."));
    assertTrue(a.getString("key").startsWith("frames/cam-raw/"));
    assertEquals("/v1/frames/" + frameId, r.headers().get("Location"));
    assertEquals(3, a.getJsonObject("classification").getJsonArray("top").size());
    assertEquals("urban", a.getJsonObject("classification").getString("model"));
    assertNotNull(a.getBoolean("flagged"));
    var stored = node.store().readFrame(frameId);
    assertEquals(jpeg.length, stored.bytes().length);
    byte[] thumb = node.store().readThumbnail(frameId);
    assertTrue(thumb.length > 0 && thumb.length < jpeg.length);
    assertEquals(1, node.store().results(frameId).size());
  }

  @Test
  void frameMetadataShowsResultsAndFlag() {
    Response posted =
        http.post(
            "/v1/cameras/cam-flag/frames", camera, "image/jpeg", TestImages.jpeg(640, 480, 22));
    String frameId = posted.json().getString("frameId");
    Response r = http.get("/v1/frames/" + frameId, reviewer);
    assertEquals(200, r.status(), r.text());
    assertEquals(frameId, r.json().getString("frameId"));
    assertEquals(1, r.json().getJsonArray("results").size());
    assertEquals(posted.json().getBoolean("flagged"), r.json().getValue("flag") != null);
  }

  @Test
  void flaggedFrameIsOnTheReviewQueue() throws Exception {
    Response r =
        http.post(
            "/v1/cameras/cam-flag/frames", camera, "image/jpeg", TestImages.jpeg(640, 480, 23));
    JsonObject a = r.json();
    if (!ServingFixture.shippedModels()) {
      assertTrue(a.getBoolean("flagged"), "test thresholds flag every frame");
    }
    if (a.getBoolean("flagged")) {
      FlagRecord flag = node.store().flag(a.getString("frameId"));
      assertEquals(FlagStatus.OPEN, flag.status());
      assertEquals(a.getJsonObject("flag").getString("label"), flag.label());
      assertTrue(!flag.label().equals("normal"));
      assertTrue(
          http.get("/metrics", null)
              .text()
              .contains("cityvision_flags_created_total{label=\"" + flag.label()));
    }
  }

  @Test
  void pngFrameIsStoredAsPng() throws Exception {
    Response r =
        http.post("/v1/cameras/cam-png/frames", camera, "image/png", TestImages.png(320, 240, 24));
    assertEquals(201, r.status(), r.text());
    assertTrue(r.json().getString("key").endsWith(".png"));
  }

  @Test
  void multipartFieldFrameIsAccepted() {
    MultipartForm form =
        MultipartForm.create()
            .binaryFileUpload(
                "frame", "f.jpg", Buffer.buffer(TestImages.jpeg(640, 360, 25)), "image/jpeg");
    Response r = http.multipart("/v1/cameras/cam-multi/frames", camera, form);
    assertEquals(201, r.status(), r.text());
    assertTrue(r.json().getString("frameId").startsWith("cam-multi."));
  }

  @Test
  void capturedAtHeaderSetsTheFramesTime() {
    Response r =
        http.send(
            HttpMethod.POST,
            "/v1/cameras/cam-time/frames",
            camera,
            Map.of("Content-Type", "image/jpeg", "X-Captured-At", "2024-05-06T07:08:09.010Z"),
            TestImages.jpeg(320, 240, 26));
    assertEquals(201, r.status(), r.text());
    assertEquals("2024-05-06T07:08:09.010Z", r.json().getString("capturedAt"));
    assertTrue(r.json().getString("key").startsWith("frames/cam-time/2024/05/06/"));
  }

  @Test
  void retryWithSameIdempotencyKeyGetsSameAnswerAndNoSecondFrame() throws Exception {
    byte[] jpeg = TestImages.jpeg(640, 480, 27);
    Map<String, String> headers =
        Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "retry-1");
    Response first =
        http.send(HttpMethod.POST, "/v1/cameras/cam-idem/frames", camera, headers, jpeg);
    Response second =
        http.send(HttpMethod.POST, "/v1/cameras/cam-idem/frames", camera, headers, jpeg);
    assertEquals(201, first.status(), first.text());
    assertEquals(201, second.status(), second.text());
    assertEquals(first.json(), second.json());
    assertEquals("true", second.headers().get("Idempotent-Replayed"));
    assertEquals(1, framesOf("cam-idem"));
  }

  @Test
  void concurrentRetriesStoreOneFrame() throws Exception {
    byte[] jpeg = TestImages.jpeg(640, 480, 28);
    Map<String, String> headers = Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "race-1");
    List<Future<Response>> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      all.add(http.async(HttpMethod.POST, "/v1/cameras/cam-race/frames", camera, headers, jpeg));
    }
    Set<String> ids = new HashSet<>();
    for (Future<Response> f : all) {
      Response r = TestClient.await(f);
      assertEquals(201, r.status(), r.text());
      ids.add(r.json().getString("frameId"));
    }
    assertEquals(1, ids.size());
    assertEquals(1, framesOf("cam-race"));
  }

  @Test
  void sameKeyWithDifferentFrameIsRefused() {
    Map<String, String> headers =
        Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "reuse-1");
    assertEquals(
        201,
        http.send(
                HttpMethod.POST,
                "/v1/cameras/cam-reuse/frames",
                camera,
                headers,
                TestImages.jpeg(320, 240, 29))
            .status());
    Response r =
        http.send(
            HttpMethod.POST,
            "/v1/cameras/cam-reuse/frames",
            camera,
            headers,
            TestImages.jpeg(320, 240, 30));
    assertEquals(400, r.status());
    assertEquals("idempotency_key_reused", r.errorCode());
  }

  @Test
  void unregisteredCameraIsRefused() {
    Response r =
        http.post(
            "/v1/cameras/cam-unknown/frames", camera, "image/jpeg", TestImages.jpeg(64, 64, 31));
    assertEquals(403, r.status());
    assertEquals("unknown_camera", r.errorCode());
  }

  @Test
  void metricsCountStoredFrames() {
    http.post("/v1/cameras/cam-raw/frames", camera, "image/jpeg", TestImages.jpeg(320, 240, 32));
    String text = http.get("/metrics", null).text();
    assertTrue(
        text.matches("(?s).*cityvision_frames_stored_total\\{durability=\"stored\"} [1-9].*"),
        text);
  }
}
