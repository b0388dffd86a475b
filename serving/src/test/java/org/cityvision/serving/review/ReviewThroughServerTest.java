package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
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
 * The review API and page as `serve` mounts them: a camera's flagged frame reaches a reviewer's
 * verdict.
 */
class ReviewThroughServerTest {
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
  void flaggedCameraFrameIsJudgedThroughTheServersReviewApi() {
    String camera = http.newKey("camera", "cam-key");
    String reviewer = http.newKey("reviewer", "rita");
    Response posted =
        http.post("/v1/cameras/cam-9/frames", camera, "image/jpeg", TestImages.jpeg(640, 480, 91));
    assertEquals(201, posted.status(), posted.text());
    String frameId = posted.json().getString("frameId");
    if (!posted.json().getBoolean("flagged")) {
      // Only the shipped model can leave a synthetic frame unflagged; the test model flags all.
      assertTrue(ServingFixture.shippedModels(), "test thresholds flag every frame");
      return;
    }

    Response queue = http.get("/v1/flags?status=open&cameraId=cam-9", reviewer);
    assertEquals(200, queue.status(), queue.text());
    JsonArray items = queue.json().getJsonArray("items");
    assertEquals(1, items.size(), queue.text());
    assertEquals(frameId, items.getJsonObject(0).getString("frameId"));

    assertEquals(403, http.get("/v1/flags", camera).status(), "a camera key cannot read the queue");

    Response thumb = http.get("/v1/frames/" + frameId + "/thumbnail", reviewer);
    assertEquals(200, thumb.status());
    assertTrue(thumb.body().length() > 100);

    Response verdict =
        http.postJson(
            "/v1/flags/" + frameId + "/review",
            reviewer,
            new JsonObject().put("verdict", "confirm").put("note", "seen"));
    assertEquals(200, verdict.status(), verdict.text());
    Response again =
        http.postJson(
            "/v1/flags/" + frameId + "/review",
            reviewer,
            new JsonObject().put("verdict", "reject"));
    assertEquals(409, again.status(), again.text());

    Response audit = http.get("/v1/reviews", reviewer);
    assertEquals(200, audit.status());
    assertTrue(audit.text().contains(frameId) && audit.text().contains("rita"), audit.text());
  }

  @Test
  void reviewPageIsServedAtRootWithoutAKeyAndUnknownApiPathsAreJson404() {
    Response page = http.get("/", null);
    assertEquals(200, page.status());
    assertTrue(page.text().contains("<html") || page.text().contains("<!doctype"), page.text());
    assertTrue(
        page.headers().get("Content-Security-Policy").startsWith("default-src 'none'"),
        page.headers().toString());
    Response missing = http.get("/v1/nothing-here", ServingFixture.ADMIN_KEY);
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.errorCode());
  }
}
