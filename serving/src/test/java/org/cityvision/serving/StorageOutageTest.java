package org.cityvision.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage outage seen through HTTP: while the S3 server is down, cameras keep getting 201 (frames
 * go to the node's write-ahead spool), readiness reports the spool, requests that need the shared
 * store's answer get a clear 503; once the S3 server is back, every accepted frame, result and flag
 * reaches it byte for byte, and the spool empties.
 */
class StorageOutageTest {
  private static final String ACCESS = "outage-access";
  private static final String SECRET = "outage-secret";

  @TempDir Path dir;
  private EmbeddedS3Server s3;
  private ServingNode node;
  private TestClient client;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    ServingFixture.stop(node);
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void framesAcceptedDuringAnOutageReachTheStoreAfterIt() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, ACCESS, SECRET);
    int port = s3.port();
    ServerConfig c = ServingFixture.withModels(dir.resolve("node"));
    StoreConfig s = c.storage();
    node =
        ServingFixture.start(
            c.withStorage(
                new StoreConfig(
                    s3.endpoint(), s.region(), "outage", false, s.spoolMaxBytes(), 2_000, 200)),
            new Secrets(ServingFixture.ADMIN_KEY, ACCESS, SECRET));
    client = new TestClient(node.port());
    String camera = client.newKey("camera", "outage-camera");
    String reviewer = client.newKey("reviewer", "outage-reviewer");
    String sorter = client.newKey("sorter", "outage-sorter");
    Response before =
        client.post(
            "/v1/cameras/cam-out/frames", camera, "image/jpeg", TestImages.jpeg(640, 480, 90));
    assertEquals(201, before.status(), before.text());
    assertEquals("stored", before.json().getString("durability"));

    s3.close();
    s3 = null;
    Map<String, byte[]> accepted = new LinkedHashMap<>();
    int flagged = 0;
    for (int i = 0; i < 12; i++) {
      byte[] jpeg = TestImages.jpeg(640, 480, 100 + i);
      Response r = client.post("/v1/cameras/cam-out/frames", camera, "image/jpeg", jpeg);
      assertEquals(201, r.status(), r.text());
      assertEquals("spooled", r.json().getString("durability"), r.text());
      accepted.put(r.json().getString("frameId"), jpeg);
      flagged += r.json().getBoolean("flagged") ? 1 : 0;
    }
    Response ready = client.get("/health/ready", null);
    JsonObject store = ready.json().getJsonObject("store");
    assertEquals(200, ready.status(), "a node with room in its spool stays ready: " + ready.text());
    assertFalse(store.getBoolean("reachable"), ready.text());
    assertTrue(store.getLong("spoolItems") >= accepted.size(), ready.text());

    // An idempotent retry needs the shared store's answer (another node may hold the first one):
    // 503, not a guess.
    Response keyed =
        client.send(
            HttpMethod.POST,
            "/v1/cameras/cam-out/frames",
            camera,
            Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "during-outage"),
            TestImages.jpeg(320, 240, 99));
    assertEquals(503, keyed.status(), keyed.text());
    assertEquals("store_unavailable", keyed.errorCode());
    assertTrue(keyed.headers().contains("Retry-After"), keyed.headers().names().toString());
    // Sorting machines do not need storage at all.
    Response sorted =
        client.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(512, 384, 98));
    assertEquals(200, sorted.status(), sorted.text());

    s3 = EmbeddedS3Server.start(dir.resolve("s3"), port, ACCESS, SECRET);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonObject health;
    do {
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      health = client.get("/health/ready", null).json().getJsonObject("store");
    } while ((!health.getBoolean("reachable") || health.getLong("spoolItems") > 0)
        && System.nanoTime() < deadline);
    assertTrue(health.getBoolean("reachable"), health.encode());
    assertEquals(0, health.getLong("spoolItems"), "spool drained: " + health.encode());

    int flagsSeen = 0;
    for (Map.Entry<String, byte[]> e : accepted.entrySet()) {
      Response frame = client.get("/v1/frames/" + e.getKey(), reviewer);
      assertEquals(200, frame.status(), frame.text());
      assertEquals(Sha256.hex(e.getValue()), frame.json().getString("sha256"), frame.text());
      assertTrue(frame.json().getBoolean("hasThumbnail"), frame.text());
      assertEquals(1, frame.json().getJsonArray("results").size(), frame.text());
      flagsSeen += frame.json().getValue("flag") != null ? 1 : 0;
      Response image = client.get("/v1/frames/" + e.getKey() + "/image", reviewer);
      assertEquals(200, image.status(), image.text());
      assertArrayEquals(
          e.getValue(), image.body().getBytes(), "frame " + e.getKey() + " byte for byte");
    }
    assertEquals(flagged, flagsSeen, "every flag created during the outage reached the store");
    List<String> listed = new ArrayList<>();
    node.store()
        .listFrames("frames/cam-out/", null, 100)
        .items()
        .forEach(f -> listed.add(f.frameId()));
    assertEquals(accepted.size() + 1, listed.size(), "no frame lost, none twice: " + listed);
    assertTrue(listed.containsAll(accepted.keySet()));
  }
}
