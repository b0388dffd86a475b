package org.cityvision.serving.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
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
 * API keys as an operator relies on them: camera binding, the last admin key, strict key requests.
 */
class KeyRulesTest {
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

  private static Response createKey(JsonObject body) {
    return http.postJson("/v1/keys", ServingFixture.ADMIN_KEY, body);
  }

  private static Response postFrame(String key, String camera) {
    return http.post(
        "/v1/cameras/" + camera + "/frames", key, "image/jpeg", TestImages.jpeg(320, 240, 7));
  }

  @Test
  void cameraKeyBoundToCamerasPostsOnlyAsThem() {
    String listed =
        createKey(
                new JsonObject()
                    .put("role", "camera")
                    .put("name", "gate-cams")
                    .put("cameras", new JsonArray().add("gate-1").add("gate-2")))
            .json()
            .getString("key");
    String prefixed =
        createKey(
                new JsonObject()
                    .put("role", "camera")
                    .put("name", "depot-cams")
                    .put("cameraPrefix", "depot-"))
            .json()
            .getString("key");

    Response own = postFrame(listed, "gate-2");
    Response other = postFrame(listed, "depot-1");
    Response underPrefix = postFrame(prefixed, "depot-7");
    Response outsidePrefix = postFrame(prefixed, "gate-1");

    assertEquals(201, own.status(), own.text());
    assertEquals(403, other.status(), other.text());
    assertEquals("camera_not_allowed", other.errorCode());
    assertTrue(
        other.json().getJsonObject("error").getString("message").contains("gate-1"), other.text());
    assertEquals(201, underPrefix.status(), underPrefix.text());
    assertEquals(403, outsidePrefix.status(), outsidePrefix.text());
  }

  @Test
  void unboundCameraKeyStillPostsAndIsListedWithAWarning() {
    String unbound =
        createKey(new JsonObject().put("role", "camera").put("name", "legacy-cam"))
            .json()
            .getString("key");
    createKey(
        new JsonObject()
            .put("role", "camera")
            .put("name", "bound-cam")
            .put("cameras", new JsonArray().add("x")));

    Response posted = postFrame(unbound, "any-camera-9");
    Response list = http.get("/v1/keys", ServingFixture.ADMIN_KEY);

    assertEquals(201, posted.status(), posted.text());
    JsonObject legacy = key(list, "legacy-cam");
    JsonObject bound = key(list, "bound-cam");
    assertTrue(legacy.getString("warning", "").contains("any camera"), legacy.encode());
    assertNull(bound.getString("warning"), bound.encode());
    assertEquals(new JsonArray().add("x"), bound.getJsonArray("cameras"));
    assertNull(key(list, "admin").getString("warning"), "only camera keys are bound");
  }

  @Test
  void keyRequestWithAnUnknownFieldIsRefused() {
    Response r =
        createKey(
            new JsonObject().put("role", "camera").put("name", "typo-cam").put("camera", "gate-1"));

    assertEquals(400, r.status(), r.text());
    assertEquals("invalid_request", r.errorCode());
    assertTrue(r.json().getJsonObject("error").getString("message").contains("'camera'"), r.text());
    assertEquals(
        404,
        http.send(HttpMethod.DELETE, "/v1/keys/typo-cam", ServingFixture.ADMIN_KEY, Map.of(), null)
            .status(),
        "no key was created");
  }

  @Test
  void onlyCameraKeysAreBoundToCameras() {
    Response r =
        createKey(
            new JsonObject()
                .put("role", "reviewer")
                .put("name", "rev-bound")
                .put("cameras", new JsonArray().add("gate-1")));

    assertEquals(400, r.status(), r.text());
  }

  @Test
  void lastAdminKeyCannotBeDeletedButOneOfTwoCan() {
    Response last =
        http.send(HttpMethod.DELETE, "/v1/keys/admin", ServingFixture.ADMIN_KEY, Map.of(), null);
    String second =
        createKey(new JsonObject().put("role", "admin").put("name", "admin-two"))
            .json()
            .getString("key");
    Response deleteSecond =
        http.send(
            HttpMethod.DELETE, "/v1/keys/admin-two", ServingFixture.ADMIN_KEY, Map.of(), null);

    assertEquals(409, last.status(), last.text());
    assertEquals("last_admin_key", last.errorCode());
    assertEquals(
        200, http.get("/v1/keys", ServingFixture.ADMIN_KEY).status(), "the admin key still works");
    assertEquals(204, deleteSecond.status(), deleteSecond.text());
    assertTrue(second.startsWith("cvk_"));
  }

  @Test
  void imageAndThumbnailForbidContentSniffing() {
    String camera =
        createKey(
                new JsonObject()
                    .put("role", "camera")
                    .put("name", "sniff-cam")
                    .put("cameras", new JsonArray().add("sniff-1")))
            .json()
            .getString("key");
    String frameId = postFrame(camera, "sniff-1").json().getString("frameId");

    Response image = http.get("/v1/frames/" + frameId + "/image", ServingFixture.ADMIN_KEY);
    Response thumbnail = http.get("/v1/frames/" + frameId + "/thumbnail", ServingFixture.ADMIN_KEY);

    assertEquals(200, image.status(), image.text());
    assertEquals("nosniff", image.headers().get("X-Content-Type-Options"));
    assertEquals(200, thumbnail.status(), thumbnail.text());
    assertEquals("nosniff", thumbnail.headers().get("X-Content-Type-Options"));
  }

  private static JsonObject key(Response list, String name) {
    for (Object o : list.json().getJsonArray("keys")) {
      JsonObject k = (JsonObject) o;
      if (k.getString("name").equals(name)) {
        return k;
      }
    }
    throw new AssertionError("no key " + name + " in " + list.text());
  }
}
