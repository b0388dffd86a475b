package org.cityvision.serving.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each key has its own token bucket on each node. */
class RateLimitTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;

  @BeforeAll
  static void start() throws Exception {
    node =
        ServingFixture.start(ServingFixture.config(data).withAuth(new AuthConfig(0.5, 3, 60_000)));
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
  void keyOverItsRateGets429WithRetryAfterAndOtherKeysDoNot() {
    String busy = http.newKey("sorter", "busy");
    String quiet = http.newKey("sorter", "quiet");
    int limited = 0;
    for (int i = 0; i < 6; i++) {
      Response r = http.get("/v1/models", busy);
      if (r.status() == 429) {
        limited++;
        assertEquals("rate_limited", r.errorCode());
        assertTrue(Integer.parseInt(r.headers().get("Retry-After")) >= 1);
      } else {
        assertEquals(200, r.status());
      }
    }
    assertTrue(limited >= 2, "only " + limited + " of 6 limited");
    assertEquals(200, http.get("/v1/models", quiet).status());
    assertTrue(
        http.get("/metrics", null).text().contains("cityvision_rate_limited_total " + limited));
  }
}
