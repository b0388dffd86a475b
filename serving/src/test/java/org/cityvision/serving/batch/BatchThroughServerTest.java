package org.cityvision.serving.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch jobs as `serve` mounts them: admin only, and ingest and batch agree on what is classified.
 */
class BatchThroughServerTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;

  @BeforeAll
  static void start() throws Exception {
    node = ServingFixture.start(ServingFixture.withModels(data));
    http = new TestClient(node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  @Test
  void batchOverIngestedFramesSkipsWhatLiveIngestAlreadyClassified() {
    String camera = http.newKey("camera", "cam-b-key");
    for (int i = 0; i < 3; i++) {
      assertEquals(
          201,
          http.post(
                  "/v1/cameras/cam-b/frames",
                  camera,
                  "image/jpeg",
                  TestImages.jpeg(320, 240, 300 + i))
              .status());
    }
    JsonObject request = new JsonObject().put("task", "urban").put("prefix", "frames/cam-b/");
    assertEquals(
        403, http.postJson("/v1/batch", camera, request).status(), "only admins start jobs");
    Response started = http.postJson("/v1/batch", ServingFixture.ADMIN_KEY, request);
    assertEquals(202, started.status(), started.text());
    String jobId = started.json().getString("jobId");

    JsonObject state = awaitFinished(jobId);
    assertEquals("done", state.getString("state"), state.encode());
    assertEquals(3, state.getInteger("listed"), state.encode());
    assertEquals(
        3,
        state.getInteger("skipped"),
        "the same model version classified them at ingest: " + state.encode());
    assertEquals(0, state.getInteger("classified"), state.encode());
    assertEquals(0, state.getInteger("failed"), state.encode());
  }

  private static JsonObject awaitFinished(String jobId) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      Response r = http.get("/v1/batch/" + jobId, ServingFixture.ADMIN_KEY);
      assertEquals(200, r.status(), r.text());
      if (!r.json().getString("state").equals("running")) {
        return r.json();
      }
      assertTrue(System.nanoTime() < deadline, "job still running after 60 s: " + r.text());
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }
}
