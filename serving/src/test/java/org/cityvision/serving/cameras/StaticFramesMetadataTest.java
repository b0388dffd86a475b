package org.cityvision.serving.cameras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.StaticFrames;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Mat;

/**
 * {@code ingest.staticFrames = metadata} on a real node over the embedded S3 server with the real
 * urban model: a static frame keeps its record and the frame it reused, no image and no thumbnail;
 * its image route answers 404 {@code image_not_kept} naming the frame whose image stands for it.
 */
class StaticFramesMetadataTest {
  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static ServingNode node;
  static TestClient http;
  static String camera;
  static String reviewer;
  static Mat scene;
  private final Random random = new Random(5);

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "meta-access", "meta-secret");
    ServerConfig c = ServingFixture.withModels(dir.resolve("node"));
    StoreConfig s = c.storage();
    IngestConfig i = c.ingest();
    node =
        ServingFixture.start(
            c.withModels(new ModelsConfig("", c.models().urban(), true))
                .withStorage(
                    new StoreConfig(
                        s3.endpoint(),
                        s.region(),
                        "static-metadata",
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
                        300,
                        StaticFrames.METADATA)),
            new Secrets(ServingFixture.ADMIN_KEY, "meta-access", "meta-secret"));
    http = new TestClient(node.port());
    camera = http.newKey("camera", "meta-camera");
    reviewer = http.newKey("reviewer", "meta-reviewer");
    scene = SyntheticScene.render(640, 360, 9);
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
    if (s3 != null) {
      s3.close();
    }
    if (scene != null) {
      scene.release();
    }
  }

  private byte[] frame() {
    return CameraHealthApiTest.noisy(scene, 1.0, random);
  }

  private static JsonObject post(byte[] frame) {
    Response r = http.post("/v1/cameras/cam-still/frames", camera, "image/jpeg", frame);
    assertEquals(201, r.status(), r.text());
    return r.json();
  }

  /** Every object key under {@code prefix} with its size. */
  private static List<String> objects(String prefix) throws Exception {
    List<String> out = new ArrayList<>();
    try (MinioClient client =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials("meta-access", "meta-secret")
            .region("us-east-1")
            .build()) {
      for (Result<Item> item :
          client.listObjects(
              ListObjectsArgs.builder()
                  .bucket("static-metadata")
                  .prefix(prefix)
                  .recursive(true)
                  .build())) {
        out.add(item.get().objectName() + " " + item.get().size());
      }
    }
    return out;
  }

  @Test
  void aStaticFrameKeepsItsRecordAndTheFrameItReusedButNoImage() throws Exception {
    byte[] firstBytes = frame();
    JsonObject first = post(firstBytes);
    assertTrue(first.getBoolean("imageKept"));
    byte[] stillBytes = frame();
    JsonObject still = post(stillBytes);
    assertTrue(still.getBoolean("reused"), still.encode());
    assertFalse(still.getBoolean("imageKept"));
    String firstId = first.getString("frameId");
    String stillId = still.getString("frameId");
    assertEquals(firstId, still.getString("reusedFrom"));

    Response detail = http.get("/v1/frames/" + stillId, reviewer);
    assertEquals(200, detail.status(), detail.text());
    assertFalse(detail.json().getBoolean("imageKept"));
    assertEquals(firstId, detail.json().getString("imageOf"));
    assertEquals(
        stillBytes.length,
        detail.json().getLong("sizeBytes"),
        "the record keeps the size as received");
    assertFalse(detail.json().getBoolean("hasThumbnail"));
    assertEquals(
        firstId,
        detail
            .json()
            .getJsonArray("results")
            .getJsonObject(0)
            .getJsonObject("result")
            .getString("reusedFrom"));

    Response image = http.get("/v1/frames/" + stillId + "/image", reviewer);
    assertEquals(404, image.status());
    assertEquals("image_not_kept", image.errorCode());
    assertTrue(
        image
            .json()
            .getJsonObject("error")
            .getString("message")
            .contains("/v1/frames/" + firstId + "/image"),
        image.text());
    Response source = http.get("/v1/frames/" + firstId + "/image", reviewer);
    assertEquals(200, source.status());
    assertEquals(firstBytes.length, source.body().length());
    assertEquals(404, http.get("/v1/frames/" + stillId + "/thumbnail", reviewer).status());

    List<String> stored = objects("frames/cam-still/");
    assertEquals(
        1, stored.stream().filter(o -> o.contains(stillId)).count(), "one object, once: " + stored);
    assertTrue(stored.contains(still.getString("key") + " 0"), "no image bytes: " + stored);
    assertEquals(
        2,
        stored.stream().filter(o -> o.contains(firstId)).count(),
        "the first frame and its thumbnail");
  }
}
