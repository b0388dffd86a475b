package org.cityvision.serving.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.InferenceConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** More requests than the model can hold: the excess gets 503 at once, the admitted ones finish. */
class OverloadTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String sorter;

  @BeforeAll
  static void start() throws Exception {
    // One worker, no batching, room for 4 requests in flight: easy to overload on purpose.
    var config =
        ServingFixture.withModels(data)
            .withInference(new InferenceConfig(1, 1, 1, 0, 2, 4, 2, 3, false));
    node = ServingFixture.start(config);
    http = new TestClient(node.port());
    sorter = http.newKey("sorter", "overload");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private record Timed(Response response, long nanos) {}

  @Test
  void excessIsRefusedFastWithRetryAfterWhileAdmittedRequestsComplete() {
    byte[] jpeg = TestImages.jpeg(512, 384, 41);
    List<Future<Timed>> all = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      long t0 = System.nanoTime();
      all.add(
          http.async(
                  HttpMethod.POST,
                  "/v1/classify/waste",
                  sorter,
                  Map.of("Content-Type", "image/jpeg"),
                  jpeg)
              .map(r -> new Timed(r, System.nanoTime() - t0)));
    }
    List<Long> refused = new ArrayList<>();
    List<Long> served = new ArrayList<>();
    for (Future<Timed> f : all) {
      Timed t = TestClient.await(f);
      Response r = t.response();
      if (r.status() == 503) {
        assertEquals("overloaded", r.errorCode(), r.text());
        assertNotNull(r.headers().get("Retry-After"));
        refused.add(t.nanos());
      } else {
        assertEquals(200, r.status(), r.text());
        assertTrue(ServingFixture.WASTE_LABELS.contains(r.json().getString("label")));
        served.add(t.nanos());
      }
    }
    assertTrue(refused.size() > 0, "nothing was refused");
    // At least what the model holds at once: one image in the forward pass and two queued.
    assertTrue(served.size() >= 3, "only " + served.size() + " served");
    Collections.sort(refused);
    Collections.sort(served);
    long refusedMedian = refused.get(refused.size() / 2);
    long servedMax = served.get(served.size() - 1);
    assertTrue(
        refusedMedian < servedMax,
        "refusals (median "
            + refusedMedian / 1e6
            + " ms) should come back before "
            + "the slowest served request ("
            + servedMax / 1e6
            + " ms)");
    assertTrue(
        http.get("/metrics", null)
            .text()
            .contains("cityvision_overload_rejected_total{task=\"waste\"}"));
    assertEquals(200, http.get("/health/ready", null).status());
    assertEquals(0, node.models().task("waste").orElseThrow().inFlight());
  }
}
