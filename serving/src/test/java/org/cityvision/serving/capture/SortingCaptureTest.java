package org.cityvision.serving.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.CaptureConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture on {@code POST /v1/classify/{task}}, on a real node with both models and the embedded S3
 * store: waste keeps uncertain answers (every answer whose top-2 margin is below 1, so every answer
 * here), urban keeps none.
 */
class SortingCaptureTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String sorter;
  static String reviewer;

  @BeforeAll
  static void start() throws Exception {
    node =
        ServingFixture.start(
            ServingFixture.withModels(data)
                .withCapture(new CaptureConfig("uncertain", "never", 1.0, 64)));
    http = new TestClient(node.port());
    sorter = http.newKey("sorter", "line-7");
    reviewer = http.newKey("reviewer", "rita");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private static Response classify(
      String task, String key, Map<String, String> headers, byte[] image) {
    Map<String, String> all = new HashMap<>(headers);
    all.put("Content-Type", "image/jpeg");
    return http.send(HttpMethod.POST, "/v1/classify/" + task, key, all, image);
  }

  /** Polls {@code GET /v1/frames/{id}} until the write behind the answer is in the store. */
  private static JsonObject frameWhenStored(String frameId) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      Response r = http.get("/v1/frames/" + frameId, reviewer);
      if (r.status() == 200
          && r.json().getValue("flag") != null
          && !r.json().getJsonArray("results").isEmpty()) {
        return r.json();
      }
      assertTrue(r.status() == 200 || r.status() == 404, r.text());
      assertTrue(
          System.nanoTime() < deadline,
          "frame " + frameId + " not stored within 20 s: " + r.text());
      Thread.sleep(50);
    }
  }

  private static List<String> openFlagIds(String query) {
    Response r = http.get("/v1/flags?limit=200" + query, reviewer);
    assertEquals(200, r.status(), r.text());
    return r.json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("frameId"))
        .toList();
  }

  @Test
  void uncertainSortingAnswerIsKeptAsAFrameOfTheMachineAndQueuedAsAWasteFlag() throws Exception {
    byte[] image = TestImages.jpeg(400, 300, 21);
    Response r = classify("waste", sorter, Map.of("X-Machine-Id", "belt-3"), image);
    assertEquals(200, r.status(), r.text());
    JsonObject answer = r.json();
    String frameId = answer.getString("frameId");
    assertNotNull(frameId, answer.encode());
    assertTrue(frameId.startsWith("belt-3."), frameId);

    JsonObject frame = frameWhenStored(frameId);
    assertEquals("belt-3", frame.getString("cameraId"));
    JsonObject flag = frame.getJsonObject("flag");
    assertEquals("captured", flag.getString("reason"));
    assertEquals("waste", flag.getString("model"));
    assertEquals(answer.getString("version"), flag.getString("modelVersion"));
    assertEquals(answer.getString("label"), flag.getString("label"));
    assertEquals("open", flag.getString("status"));
    assertEquals("waste", frame.getJsonArray("results").getJsonObject(0).getString("model"));

    Response bytes = http.get("/v1/frames/" + frameId + "/image", reviewer);
    assertEquals(200, bytes.status());
    assertEquals(Arrays.hashCode(image), Arrays.hashCode(bytes.body().getBytes()));
    assertEquals(200, http.get("/v1/frames/" + frameId + "/thumbnail", reviewer).status());

    assertTrue(openFlagIds("&model=waste").contains(frameId));
    assertFalse(openFlagIds("&model=urban").contains(frameId));
  }

  @Test
  void machineIdDefaultsToTheKeyNameAndAnInvalidOneIsRefused() throws Exception {
    Response r = classify("waste", sorter, Map.of(), TestImages.jpeg(300, 200, 22));
    assertEquals(200, r.status(), r.text());
    assertTrue(r.json().getString("frameId").startsWith("line-7."), r.text());
    frameWhenStored(r.json().getString("frameId"));

    Response bad =
        classify("waste", sorter, Map.of("X-Machine-Id", "belt/3"), TestImages.jpeg(300, 200, 23));
    assertEquals(400, bad.status(), bad.text());
    assertEquals("invalid_machine_id", bad.errorCode());
  }

  @Test
  void neverKeepsNothing() {
    Response r =
        classify("urban", sorter, Map.of("X-Machine-Id", "belt-9"), TestImages.jpeg(640, 360, 24));
    assertEquals(200, r.status(), r.text());
    assertNull(r.json().getValue("frameId"), r.text());
    assertTrue(openFlagIds("&cameraId=belt-9").isEmpty());
  }

  @Test
  void xCaptureIsForbiddenToAKeyWithoutThePermission() {
    Response r =
        classify("urban", sorter, Map.of("X-Capture", "always"), TestImages.jpeg(320, 240, 25));
    assertEquals(403, r.status(), r.text());
    assertEquals("capture_override_not_allowed", r.errorCode());
  }

  @Test
  void xCaptureIsHonouredForAKeyAllowedToSendIt() throws Exception {
    Response created =
        http.postJson(
            "/v1/keys",
            ServingFixture.ADMIN_KEY,
            new JsonObject()
                .put("role", "sorter")
                .put("name", "line-8")
                .put("allowCaptureOverride", true));
    assertEquals(201, created.status(), created.text());
    assertEquals(true, created.json().getBoolean("allowCaptureOverride"));
    String key = created.json().getString("key");

    Response kept =
        classify("urban", key, Map.of("X-Capture", "always"), TestImages.jpeg(640, 360, 26));
    assertEquals(200, kept.status(), kept.text());
    String frameId = kept.json().getString("frameId");
    assertNotNull(frameId, kept.text());
    assertEquals("urban", frameWhenStored(frameId).getJsonObject("flag").getString("model"));

    Response skipped =
        classify("waste", key, Map.of("X-Capture", "never"), TestImages.jpeg(320, 240, 27));
    assertEquals(200, skipped.status(), skipped.text());
    assertNull(skipped.json().getValue("frameId"), skipped.text());

    Response bad =
        classify("waste", key, Map.of("X-Capture", "sometimes"), TestImages.jpeg(320, 240, 28));
    assertEquals(400, bad.status(), bad.text());
    assertEquals("invalid_capture", bad.errorCode());

    Response badField =
        http.postJson(
            "/v1/keys",
            ServingFixture.ADMIN_KEY,
            new JsonObject()
                .put("role", "sorter")
                .put("name", "line-9")
                .put("allowCaptureOverride", "yes"));
    assertEquals(400, badField.status(), badField.text());
  }

  @Test
  void reviewSessionListsEachModelsLabelsAndARelabelMustUseTheFlagsModelsLabels() throws Exception {
    JsonObject session = http.get("/v1/review/session", reviewer).json();
    JsonObject models = session.getJsonObject("models");
    for (String model : List.of("waste", "urban")) {
      assertEquals(
          new JsonArray(node.models().task(model).orElseThrow().spec().labels()),
          models.getJsonArray(model));
    }
    assertEquals(
        Set.copyOf(ServingFixture.URBAN_LABELS),
        Set.copyOf(models.getJsonArray("urban").getList()));

    Response r =
        classify("waste", sorter, Map.of("X-Machine-Id", "belt-4"), TestImages.jpeg(400, 300, 29));
    String frameId = r.json().getString("frameId");
    frameWhenStored(frameId);

    String urbanLabel = ServingFixture.URBAN_LABELS.get(0);
    Response wrong =
        http.postJson(
            "/v1/flags/" + frameId + "/review",
            reviewer,
            new JsonObject().put("verdict", "relabel").put("label", urbanLabel));
    assertEquals(400, wrong.status(), wrong.text());
    assertTrue(wrong.text().contains("waste model's labels"), wrong.text());

    Response bulkWrong =
        http.postJson(
            "/v1/flags/review",
            reviewer,
            new JsonObject()
                .put(
                    "items",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("frameId", frameId)
                                .put("verdict", "relabel")
                                .put("label", urbanLabel))));
    assertEquals(400, bulkWrong.status(), bulkWrong.text());

    String other =
        ServingFixture.WASTE_LABELS.stream()
            .filter(l -> !l.equals(r.json().getString("label")))
            .findFirst()
            .orElseThrow();
    Response right =
        http.postJson(
            "/v1/flags/" + frameId + "/review",
            reviewer,
            new JsonObject().put("verdict", "relabel").put("label", other));
    assertEquals(200, right.status(), right.text());
    assertEquals("relabelled", right.json().getString("status"));
    assertEquals(other, right.json().getString("verdictLabel"));
    assertEquals("captured", right.json().getString("reason"));
    assertTrue(openFlagIds("&model=waste&status=relabelled").contains(frameId));
  }

  @Test
  void informativeOrderServesCapturedFlagsSmallestMarginFirstWithoutCursor() throws Exception {
    for (int i = 0; i < 3; i++) {
      Response r =
          classify(
              "waste", sorter, Map.of("X-Machine-Id", "belt-5"), TestImages.jpeg(320, 240, 40 + i));
      frameWhenStored(r.json().getString("frameId"));
    }
    Response page = http.get("/v1/flags?order=informative&model=waste&limit=200", reviewer);
    assertEquals(200, page.status(), page.text());
    assertNull(page.json().getValue("nextCursor"));
    JsonArray items = page.json().getJsonArray("items");
    assertTrue(items.size() >= 3, page.text());
    double smallest = Double.MAX_VALUE;
    for (Object o : items) {
      JsonObject flag = (JsonObject) o;
      assertEquals("waste", flag.getString("model"));
      double margin = flag.getDouble("margin");
      assertTrue(margin >= 0 && margin <= 1, flag.encode());
      smallest = Math.min(smallest, margin);
    }
    assertEquals(
        smallest,
        items.getJsonObject(0).getDouble("margin"),
        "the most uncertain flag first: " + items.encode());
    Response withCursor = http.get("/v1/flags?order=informative&cursor=abc", reviewer);
    assertEquals(400, withCursor.status(), withCursor.text());
  }

  @Test
  void anUnknownModelFilterIsRefused() {
    Response r = http.get("/v1/flags?model=bad/model", reviewer);
    assertEquals(400, r.status(), r.text());
  }
}
