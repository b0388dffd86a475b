package org.cityvision.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.config.AuthConfig;
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

/** Two nodes over one S3 store behave as one system: keys, idempotent retries, the review queue. */
class TwoNodeTest {
  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static ServingNode a;
  static ServingNode b;
  static TestClient toA;
  static TestClient toB;
  static String camera;

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "two-node-access", "two-node-secret");
    Secrets secrets = new Secrets(ServingFixture.ADMIN_KEY, "two-node-access", "two-node-secret");
    a = ServingFixture.start(node(dir.resolve("a")), secrets);
    b = ServingFixture.start(node(dir.resolve("b")), secrets);
    toA = new TestClient(a.port());
    toB = new TestClient(b.port());
    camera = toA.newKey("camera", "shared-camera");
  }

  private static ServerConfig node(Path data) throws Exception {
    ServerConfig c = ServingFixture.withModels(data);
    StoreConfig s = c.storage();
    return c.withModels(new ModelsConfig("", c.models().urban(), true))
        .withAuth(new AuthConfig(0, 1, 200))
        .withStorage(
            new StoreConfig(
                s3.endpoint(), s.region(), "two-nodes", false, s.spoolMaxBytes(), 5_000, 5_000));
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

  @Test
  void keyCreatedOnOneNodeWorksOnTheOther() {
    Response r =
        toB.post("/v1/cameras/cam-a/frames", camera, "image/jpeg", TestImages.jpeg(320, 240, 61));
    assertEquals(201, r.status(), r.text());
  }

  @Test
  void keyDeletedOnOneNodeStopsWorkingOnTheOther() {
    String key = toA.newKey("sorter", "short-lived");
    assertEquals(200, toB.get("/v1/models", key).status());
    assertEquals(
        204,
        toA.send(
                HttpMethod.DELETE, "/v1/keys/short-lived", ServingFixture.ADMIN_KEY, Map.of(), null)
            .status());
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    int status;
    while ((status = toB.get("/v1/models", key).status()) != 401 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    assertEquals(401, status);
  }

  @Test
  void retriesSpreadOverBothNodesStoreOneFrame() throws Exception {
    byte[] jpeg = TestImages.jpeg(640, 480, 62);
    Map<String, String> headers =
        Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "two-node-retry");
    List<Future<Response>> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.add(toA.async(HttpMethod.POST, "/v1/cameras/cam-two/frames", camera, headers, jpeg));
      all.add(toB.async(HttpMethod.POST, "/v1/cameras/cam-two/frames", camera, headers, jpeg));
    }
    Set<String> ids = new HashSet<>();
    for (Future<Response> f : all) {
      Response r = TestClient.await(f);
      assertEquals(201, r.status(), r.text());
      ids.add(r.json().getString("frameId"));
    }
    assertEquals(1, ids.size());
    assertEquals(1, a.store().listFrames("frames/cam-two/", null, 100).items().size());
    Response later = toB.send(HttpMethod.POST, "/v1/cameras/cam-two/frames", camera, headers, jpeg);
    assertEquals(ids.iterator().next(), later.json().getString("frameId"));
  }

  @Test
  void frameAndFlagStoredThroughOneNodeAreSeenThroughTheOther() {
    Response posted =
        toA.post("/v1/cameras/cam-q/frames", camera, "image/jpeg", TestImages.jpeg(640, 480, 63));
    assertEquals(201, posted.status(), posted.text());
    String reviewer = toA.newKey("reviewer", "two-node-reviewer");
    Response seen = toB.get("/v1/frames/" + posted.json().getString("frameId"), reviewer);
    assertEquals(200, seen.status(), seen.text());
    if (posted.json().getBoolean("flagged")) {
      assertNotNull(seen.json().getJsonObject("flag"));
      assertEquals(
          posted.json().getJsonObject("flag").getString("label"),
          seen.json().getJsonObject("flag").getString("label"));
    }
  }
}
