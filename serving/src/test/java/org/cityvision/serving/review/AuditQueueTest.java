package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cityvision.core.classify.AuditRule;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuditConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Audit items on a real node: camera frames the urban model does not flag join the review queue
 * with {@code reason: "audit"} (here every one, up to two per camera and hour), reviewers find them
 * with {@code ?reason=audit}, and a relabel of one (the false negative) is a verdict like any
 * other.
 */
class AuditQueueTest {
  @TempDir static Path dir;
  static ServingNode node;
  static TestClient http;
  static String camera;
  static String reviewer;

  @BeforeAll
  static void start() throws Exception {
    node =
        ServingFixture.start(
            ServingFixture.withModels(dir.resolve("data"))
                .withAudit(new AuditConfig(Map.of("urban", new AuditRule(1.0, 0, 1.0, 2)))));
    http = new TestClient(node.port());
    camera = http.newKey("camera", "audit-cams");
    reviewer = http.newKey("reviewer", "audit-rita");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  /** Posts frames; returns the ids of those the model did not flag. */
  private static List<String> post(String cameraId, int frames, int seed) {
    List<String> unflagged = new ArrayList<>();
    for (int i = 0; i < frames; i++) {
      TestClient.Response r =
          http.post(
              "/v1/cameras/" + cameraId + "/frames",
              camera,
              "image/jpeg",
              TestImages.jpeg(320, 240, seed + i));
      assertEquals(201, r.status(), r.text());
      // An audit item is not an issue: the camera's answer says flagged only when the model
      // flagged.
      if (!r.json().getBoolean("flagged")) {
        unflagged.add(r.json().getString("frameId"));
      }
    }
    return unflagged;
  }

  private static JsonArray auditItems(String cameraId) {
    TestClient.Response r =
        http.get("/v1/flags?reason=audit&model=urban&cameraId=" + cameraId, reviewer);
    assertEquals(200, r.status(), r.text());
    return r.json().getJsonArray("items");
  }

  @Test
  void unflaggedFramesBecomeAuditItemsCappedPerCameraAndTheirVerdictsCount() {
    List<String> busy = post("audit-busy", 5, 40);
    List<String> quiet = post("audit-quiet", 1, 90);

    JsonArray busyItems = auditItems("audit-busy");
    assertEquals(Math.min(2, busy.size()), busyItems.size(), busyItems.encodePrettily());
    assertEquals(quiet.size(), auditItems("audit-quiet").size(), "another camera keeps its share");
    JsonObject item = busyItems.getJsonObject(0);
    assertEquals("audit", item.getString("reason"));
    assertEquals("urban", item.getString("model"));
    assertTrue(busy.contains(item.getString("frameId")), item.encode());

    TestClient.Response all = http.get("/v1/flags?reason=flagged&cameraId=audit-busy", reviewer);
    assertEquals(200, all.status(), all.text());
    all.json()
        .getJsonArray("items")
        .forEach(f -> assertEquals("flagged", ((JsonObject) f).getString("reason")));

    // The reviewer sees a flood the model called normal: the relabel is the false negative.
    TestClient.Response verdict =
        http.postJson(
            "/v1/flags/" + item.getString("frameId") + "/review",
            reviewer,
            new JsonObject().put("verdict", "relabel").put("label", "flooding"));
    assertEquals(200, verdict.status(), verdict.text());
    TestClient.Response relabelled = http.get("/v1/flags?status=relabelled&reason=audit", reviewer);
    assertEquals(1, relabelled.json().getJsonArray("items").size(), relabelled.text());

    TestClient.Response bad = http.get("/v1/flags?reason=whatever", reviewer);
    assertEquals(400, bad.status(), bad.text());
    assertTrue(bad.text().contains("reason must be flagged, captured or audit"), bad.text());
  }
}
