package org.cityvision.serving.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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
 * {@code capture.maxPerMinute}: the node's {@code uncertain} policy keeps at most that many answers
 * a minute (the rest are answered without a {@code frameId} and counted {@code rate_limited}); a
 * request's {@code X-Capture: always} is kept beyond it.
 */
class CaptureRateLimitTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String sorter;
  static String trusted;

  @BeforeAll
  static void start() throws Exception {
    // Every answer is uncertain (top-2 margin below 1); two a minute are kept.
    node =
        ServingFixture.start(
            ServingFixture.withModels(data)
                .withCapture(new CaptureConfig("uncertain", "never", 1.0, 64, 2)));
    http = new TestClient(node.port());
    sorter = http.newKey("sorter", "line-9");
    Response created =
        http.postJson(
            "/v1/keys",
            ServingFixture.ADMIN_KEY,
            new JsonObject()
                .put("name", "line-10")
                .put("role", "sorter")
                .put("allowCaptureOverride", true));
    assertEquals(201, created.status(), created.text());
    trusted = created.json().getString("key");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private static Response classify(String key, Map<String, String> headers, int seed) {
    Map<String, String> all = new HashMap<>(headers);
    all.put("Content-Type", "image/jpeg");
    return http.send(
        HttpMethod.POST, "/v1/classify/waste", key, all, TestImages.jpeg(400, 300, seed));
  }

  @Test
  void uncertainAnswersBeyondTheRateAreAnsweredButNotKept() {
    Response first = classify(sorter, Map.of(), 61);
    Response second = classify(sorter, Map.of(), 62);
    Response third = classify(sorter, Map.of(), 63);
    for (Response r : new Response[] {first, second, third}) {
      assertEquals(200, r.status(), r.text());
      assertNotNull(r.json().getString("label"), r.text());
    }
    assertNotNull(first.json().getString("frameId"), first.text());
    assertNotNull(second.json().getString("frameId"), second.text());
    assertNull(third.json().getString("frameId"), "the third in a minute is not kept");

    Response always = classify(trusted, Map.of("X-Capture", "always"), 64);
    assertEquals(200, always.status(), always.text());
    assertNotNull(always.json().getString("frameId"), "an explicit always is not limited");

    String metrics = http.get("/metrics", null).text();
    assertTrue(metrics.contains("cityvision_captures_total{outcome=\"rate_limited\"} 1"), metrics);
    assertFalse(metrics.contains("cityvision_captures_total{outcome=\"dropped\"} 1"), metrics);
  }

  @Test
  void theBucketRefillsAtTheRateAndHoldsAMinuteAtMost() {
    CaptureWriter.RateLimit limit = new CaptureWriter.RateLimit(60);
    long t = 0;
    for (int i = 0; i < 60; i++) {
      assertTrue(limit.tryTake(t), "a minute's worth at once: " + i);
    }
    assertFalse(limit.tryTake(t));
    assertFalse(limit.tryTake(t + 500_000_000L), "half a second refills half a capture");
    assertTrue(limit.tryTake(t + 1_000_000_000L), "one a second");
    assertFalse(limit.tryTake(t + 1_000_000_000L));
    // An hour idle refills one minute's worth, not sixty.
    long later = t + 3_600_000_000_000L;
    int taken = 0;
    while (limit.tryTake(later)) {
      taken++;
    }
    assertEquals(60, taken);
  }
}
