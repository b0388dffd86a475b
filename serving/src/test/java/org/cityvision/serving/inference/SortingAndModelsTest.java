package org.cityvision.serving.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
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

/** The sorting machines' path and the model cards, on a node with both models. */
class SortingAndModelsTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String sorter;

  @BeforeAll
  static void start() throws Exception {
    node = ServingFixture.start(ServingFixture.withModels(data));
    http = new TestClient(node.port());
    sorter = http.newKey("sorter", "sorter-1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  @Test
  void wasteVerdictHasLabelScoreTopUncertainAndModel() {
    Response r =
        http.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(512, 384, 7));
    assertEquals(200, r.status(), r.text());
    JsonObject a = r.json();
    assertTrue(ServingFixture.WASTE_LABELS.contains(a.getString("label")));
    double score = a.getDouble("score");
    assertTrue(score > 0 && score <= 1);
    JsonArray top = a.getJsonArray("top");
    assertEquals(3, top.size());
    assertEquals(a.getString("label"), top.getJsonObject(0).getString("label"));
    assertEquals("waste", a.getString("model"));
    assertNotNull(a.getString("version"));
    double threshold =
        node.models().task("waste").orElseThrow().spec().thresholds().uncertainBelow();
    assertEquals(score < threshold, a.getBoolean("uncertain"));
    assertTrue(a.getJsonObject("timings").getDouble("totalMs") > 0);
  }

  @Test
  void pngAndWebpStyleBodiesWithoutContentTypeAreAccepted() {
    assertEquals(
        200, http.post("/v1/classify/waste", sorter, null, TestImages.png(200, 150, 3)).status());
    assertEquals(
        200,
        http.post(
                "/v1/classify/waste",
                sorter,
                "application/octet-stream",
                TestImages.jpeg(200, 150, 4))
            .status());
  }

  @Test
  void urbanTaskAnswersWithUrbanLabels() {
    Response r =
        http.post("/v1/classify/urban", sorter, "image/jpeg", TestImages.jpeg(640, 360, 9));
    assertEquals(200, r.status(), r.text());
    assertTrue(ServingFixture.URBAN_LABELS.contains(r.json().getString("label")));
    assertEquals("urban", r.json().getString("model"));
  }

  @Test
  void sameImageGetsSameVerdict() {
    byte[] jpeg = TestImages.jpeg(320, 240, 11);
    JsonObject a = http.post("/v1/classify/waste", sorter, "image/jpeg", jpeg).json();
    JsonObject b = http.post("/v1/classify/waste", sorter, "image/jpeg", jpeg).json();
    assertEquals(a.getString("label"), b.getString("label"));
    assertEquals(a.getDouble("score"), b.getDouble("score"), 1e-4);
  }

  @Test
  void modelsListsBothWithLabelsVersionAndMetrics() {
    Response r = http.get("/v1/models", sorter);
    assertEquals(200, r.status());
    JsonArray models = r.json().getJsonArray("models");
    assertEquals(2, models.size());
    for (Object o : models) {
      JsonObject m = (JsonObject) o;
      assertNotNull(m.getString("version"));
      assertNotNull(m.getValue("metrics"));
      assertTrue(m.getJsonArray("labels").size() >= 2);
    }
  }

  @Test
  void modelByNameHasItsCard() {
    Response r = http.get("/v1/models/urban", sorter);
    assertEquals(200, r.status());
    assertEquals(
        node.models().task("urban").orElseThrow().spec().labels(),
        r.json().getJsonArray("labels").getList());
    assertEquals(
        Set.copyOf(ServingFixture.URBAN_LABELS),
        Set.copyOf(r.json().getJsonArray("labels").getList()));
    assertTrue(r.json().getJsonObject("thresholds").containsKey("flag"));
    assertEquals("unknown_model", http.get("/v1/models/nope", sorter).errorCode());
  }

  @Test
  void metricsShowInferenceAndBatches() {
    http.post("/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(128, 96, 5));
    String text = http.get("/metrics", null).text();
    assertTrue(
        text.contains("cityvision_inference_batch_size_bucket{model=\"waste\",le=\"1\"}"), text);
    assertTrue(text.contains("cityvision_inference_queue_depth{model=\"waste\"}"), text);
    assertTrue(
        text.contains(
            "cityvision_classify_stage_seconds_count{model=\"waste\",stage=\"inference\"}"),
        text);
    assertTrue(text.contains("route=\"/v1/classify/{task}\",status=\"200\""), text);
    // The build caps oneDNN at AVX2 (ONEDNN_MAX_CPU_ISA), and the node says so.
    assertTrue(
        text.contains(
            "cityvision_kernels_info{kernels=\""
                + System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "native")
                + "\"} 1"),
        text);
  }

  @Test
  void readyWhenModelsLoaded() {
    Response r = http.get("/health/ready", null);
    assertEquals(200, r.status());
    assertTrue(r.json().getJsonObject("models").getJsonObject("waste").getBoolean("loaded"));
  }
}
