package org.cityvision.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
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
 * A node with no models: everything that needs none (health, metrics, OpenAPI, auth, keys, errors).
 */
class ApiWithoutModelsTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static final String ADMIN = ServingFixture.ADMIN_KEY;

  @BeforeAll
  static void start() throws Exception {
    node = ServingFixture.start(ServingFixture.config(data));
    http = new TestClient(node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private static String createKey(String role, String name) {
    Response r =
        http.postJson("/v1/keys", ADMIN, new JsonObject().put("role", role).put("name", name));
    assertEquals(201, r.status(), r.text());
    return r.json().getString("key");
  }

  @Test
  void livenessAnswersWithoutAKey() {
    Response r = http.get("/health/live", null);
    assertEquals(200, r.status());
    assertEquals("live", r.json().getString("status"));
    assertNotNull(r.headers().get("X-Request-Id"));
  }

  @Test
  void readinessReportsStoreAndSpool() {
    Response r = http.get("/health/ready", null);
    assertEquals(200, r.status(), r.text());
    JsonObject store = r.json().getJsonObject("store");
    assertTrue(store.getBoolean("reachable"));
    assertEquals(0L, store.getLong("spoolItems"));
  }

  @Test
  void metricsArePrometheusText() {
    http.get("/health/live", null);
    Response r = http.get("/metrics", null);
    assertEquals(200, r.status());
    assertTrue(r.headers().get("Content-Type").startsWith("text/plain"));
    String text = r.text();
    assertTrue(
        text.contains(
            "cityvision_http_requests_total{method=\"GET\",route=\"/health/live\",status=\"200\"}"),
        text);
    assertTrue(
        text.contains(
            "cityvision_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health/live\","
                + "le=\"0.001\"}"),
        text);
    assertTrue(text.contains("cityvision_spool_items 0"), text);
    assertTrue(text.contains("cityvision_frames_stored_total{durability=\"stored\"}"), text);
  }

  @Test
  void metricsLabelReviewAndBatchRequestsWithTheirRouteTemplates() {
    String frameId = "cam-1.20250601T120000000Z.0123456789ab";
    assertEquals(200, http.get("/v1/flags?limit=5", ADMIN).status());
    assertEquals(404, http.get("/v1/frames/" + frameId, ADMIN).status());
    assertEquals(404, http.get("/v1/batch/no-such-job", ADMIN).status());

    String text = http.get("/metrics", null).text();

    assertTrue(
        text.contains(
            "cityvision_http_requests_total{method=\"GET\",route=\"/v1/flags\",status=\"200\"}"),
        text);
    assertTrue(
        text.contains(
            "cityvision_http_requests_total{method=\"GET\",route=\"/v1/frames/{frameId}\",status=\"404\"}"),
        text);
    assertTrue(
        text.contains(
            "cityvision_http_requests_total{method=\"GET\",route=\"/v1/batch/{jobId}\",status=\"404\"}"),
        text);
  }

  @Test
  void openApiDocumentsExactlyTheRoutes() {
    Response r = http.get("/openapi.json", null);
    assertEquals(200, r.status());
    JsonObject paths = r.json().getJsonObject("paths");
    Set<String> documented = new HashSet<>();
    paths.forEach(
        p ->
            ((JsonObject) p.getValue())
                .fieldNames()
                .forEach(m -> documented.add(m.toUpperCase() + " " + p.getKey())));
    Set<String> routed = new HashSet<>();
    node.routes().stream().filter(Route::documented).forEach(route -> routed.add(route.name()));
    assertEquals(routed, documented);
  }

  @Test
  void unknownRouteIsJson404WithRequestId() {
    Response r = http.get("/v1/nothing-here", ADMIN);
    assertEquals(404, r.status());
    assertEquals("not_found", r.errorCode());
    assertEquals(
        r.headers().get("X-Request-Id"), r.json().getJsonObject("error").getString("requestId"));
  }

  @Test
  void clientRequestIdIsEchoed() {
    Response r =
        http.send(HttpMethod.GET, "/health/live", null, Map.of("X-Request-Id", "abc-123"), null);
    assertEquals("abc-123", r.headers().get("X-Request-Id"));
  }

  @Test
  void missingKeyIs401() {
    Response r = http.get("/v1/models", null);
    assertEquals(401, r.status());
    assertEquals("missing_credentials", r.errorCode());
  }

  @Test
  void unknownKeyIs401() {
    Response r = http.get("/v1/models", "cvk_not-a-real-key");
    assertEquals(401, r.status());
    assertEquals("invalid_credentials", r.errorCode());
  }

  @Test
  void everyRoleReachesItsEndpointsAndOnlyThose() {
    String camera = createKey("camera", "roles-camera");
    String sorter = createKey("sorter", "roles-sorter");
    String reviewer = createKey("reviewer", "roles-reviewer");
    byte[] jpeg = TestImages.jpeg(64, 48, 1);
    for (String key : new String[] {camera, sorter, reviewer, ADMIN}) {
      assertEquals(200, http.get("/v1/models", key).status());
    }
    // Without models the role check still runs first: 403 for the wrong role, 503 model_unavailable
    // past it.
    assertEquals(403, http.post("/v1/classify/waste", camera, "image/jpeg", jpeg).status());
    assertEquals(403, http.post("/v1/classify/waste", reviewer, "image/jpeg", jpeg).status());
    assertEquals(503, http.post("/v1/classify/waste", sorter, "image/jpeg", jpeg).status());
    assertEquals(503, http.post("/v1/classify/waste", ADMIN, "image/jpeg", jpeg).status());
    assertEquals(403, http.post("/v1/cameras/cam-1/frames", sorter, "image/jpeg", jpeg).status());
    assertEquals(403, http.post("/v1/cameras/cam-1/frames", reviewer, "image/jpeg", jpeg).status());
    assertEquals(503, http.post("/v1/cameras/cam-1/frames", camera, "image/jpeg", jpeg).status());
    assertEquals(
        403, http.get("/v1/frames/cam-1.20250101T000000000Z.0123456789ab", camera).status());
    assertEquals(
        404, http.get("/v1/frames/cam-1.20250101T000000000Z.0123456789ab", reviewer).status());
    for (String key : new String[] {camera, sorter, reviewer}) {
      Response r = http.get("/v1/keys", key);
      assertEquals(403, r.status());
      assertEquals("forbidden", r.errorCode());
    }
  }

  @Test
  void classifyWithoutModelIs503ModelUnavailable() {
    Response r = http.post("/v1/classify/waste", ADMIN, "image/jpeg", TestImages.jpeg(64, 48, 1));
    assertEquals(503, r.status());
    assertEquals(
        "unknown_task",
        http.post("/v1/classify/nope", ADMIN, "image/jpeg", new byte[] {1}).errorCode());
  }

  @Test
  void adminCreatesListsAndDeletesKeys() {
    String key = createKey("sorter", "lifecycle");
    assertTrue(key.startsWith("cvk_"));
    assertEquals(200, http.get("/v1/models", key).status());
    JsonArray keys = http.get("/v1/keys", ADMIN).json().getJsonArray("keys");
    JsonObject listed =
        keys.stream()
            .map(JsonObject.class::cast)
            .filter(k -> k.getString("name").equals("lifecycle"))
            .findFirst()
            .orElseThrow();
    assertEquals("sorter", listed.getString("role"));
    assertFalse(listed.containsKey("key"));
    assertFalse(keys.encode().contains(key), "the key itself is never listed");
    Response duplicate =
        http.postJson(
            "/v1/keys", ADMIN, new JsonObject().put("role", "sorter").put("name", "lifecycle"));
    assertEquals(409, duplicate.status());
    assertEquals(
        204, http.send(HttpMethod.DELETE, "/v1/keys/lifecycle", ADMIN, Map.of(), null).status());
    assertEquals(
        404, http.send(HttpMethod.DELETE, "/v1/keys/lifecycle", ADMIN, Map.of(), null).status());
    assertEquals(401, http.get("/v1/models", key).status());
  }

  @Test
  void badKeyRequestsAre400() {
    assertEquals(
        "invalid_role",
        http.postJson("/v1/keys", ADMIN, new JsonObject().put("role", "root").put("name", "x"))
            .errorCode());
    assertEquals(
        "invalid_name",
        http.postJson("/v1/keys", ADMIN, new JsonObject().put("role", "camera").put("name", "../x"))
            .errorCode());
    assertEquals(
        "invalid_json",
        http.post("/v1/keys", ADMIN, "application/json", "{nope".getBytes()).errorCode());
  }

  @Test
  void keysAreStoredHashed() throws Exception {
    String key = createKey("camera", "hashed");
    var stored = node.store().apiKey("hashed").orElseThrow();
    assertNotEquals(key, stored.keyHash());
    assertFalse(stored.toString().contains(key));
  }
}
