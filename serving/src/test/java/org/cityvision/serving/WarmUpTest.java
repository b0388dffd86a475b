package org.cityvision.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.auth.Principal;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up warm-up on a real node with both models: not ready while it runs, ready after; its
 * requests all get the answers they expect (none rate-limited, although the node's rate limit is
 * one request a second); it leaves nothing in the request metrics and no key behind.
 */
class WarmUpTest {
  @TempDir Path data;

  private ServerConfig config(double warmUpSeconds) throws Exception {
    ServerConfig c = ServingFixture.withModels(data);
    return c.withHttp(c.http().withWarmUpSeconds(warmUpSeconds))
        .withAuth(new AuthConfig(1, 1, 60_000));
  }

  @Test
  void notReadyWhileWarmingUpThenReadyWithNothingRecordedAndTheKeyRevoked() throws Exception {
    ServingNode node = ServingFixture.start(config(3));
    TestClient http = new TestClient(node.port());
    try {
      Response during = http.get("/health/ready", null);
      assertEquals(503, during.status(), during.text());
      assertTrue(during.json().getBoolean("warmingUp"), during.text());

      WarmUp.Report report =
          node.warmedUp().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(
          0, report.unexpected(), "warm-up answers other than expected (a 429 would be one)");
      assertTrue(report.requests() > 100, "requests: " + report.requests());
      assertTrue(report.classified() > 0, "classifications: " + report.classified());
      assertTrue(report.seconds() >= 3 && report.seconds() < 30, "seconds: " + report.seconds());

      Response after = http.get("/health/ready", null);
      assertEquals(200, after.status(), after.text());
      assertFalse(after.json().getBoolean("warmingUp"));

      String metrics = http.get("/metrics", null).text();
      assertFalse(
          metrics.contains("route=\"/v1/classify/{task}\""),
          "warm-up requests are not recorded:\n" + metrics);
      assertFalse(metrics.contains("route=\"/v1/models\""), metrics);
      Matcher images =
          Pattern.compile("cityvision_inference_images_total\\{model=\"[^\"]*waste[^\"]*\"} (\\d+)")
              .matcher(metrics);
      assertTrue(images.find(), metrics);
      assertTrue(
          Long.parseLong(images.group(1)) > 0,
          "the classifiers count the warm-up's passes: " + images.group());
      Matcher captured =
          Pattern.compile("cityvision_captures_total\\{outcome=\"stored\"} (\\S+)")
              .matcher(metrics);
      assertTrue(captured.find(), metrics);
      assertEquals(
          0,
          Double.parseDouble(captured.group(1)),
          "warm-up images are never captured: " + captured.group());
      assertEquals(
          0,
          node.store().listFlags(FlagQuery.of(FlagStatus.OPEN, 10)).items().size(),
          "warm-up leaves no flag");

      // Real requests are recorded, and rate-limited (one a second, burst one).
      Response first =
          http.post(
              "/v1/classify/waste",
              ServingFixture.ADMIN_KEY,
              "image/jpeg",
              TestImages.jpeg(512, 384, 3));
      assertEquals(200, first.status(), first.text());
      assertEquals(
          429,
          http.post(
                  "/v1/classify/waste",
                  ServingFixture.ADMIN_KEY,
                  "image/jpeg",
                  TestImages.jpeg(512, 384, 4))
              .status());
      metrics = http.get("/metrics", null).text();
      assertTrue(
          metrics.contains(
              "cityvision_http_requests_total{method=\"POST\",route=\"/v1/classify/{task}\",status=\"200\"} 1"),
          metrics);
    } finally {
      http.close();
      ServingFixture.stop(node);
    }
  }

  @Test
  void shutdownDuringTheWarmUpEndsItAtOnce() throws Exception {
    ServingNode node = ServingFixture.start(config(120));
    long t0 = System.nanoTime();
    node.shutdown().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(node.warmedUp().isComplete());
    assertTrue((System.nanoTime() - t0) / 1e9 < 60);
    ServingFixture.stop(node);
  }

  @Test
  void withoutAWarmUpTheNodeIsReadyAtOnce() throws Exception {
    ServingNode node = ServingFixture.start(config(0));
    TestClient http = new TestClient(node.port());
    try {
      assertEquals(WarmUp.Report.NONE, node.warmedUp().result());
      assertEquals(200, http.get("/health/ready", null).status());
    } finally {
      http.close();
      ServingFixture.stop(node);
    }
  }

  @Test
  void internalKeysWorkUntilClosedSurviveReloadsAndAreNeverStored() throws Exception {
    ServingNode node = ServingFixture.start(config(0));
    try {
      ApiKeys keys = new ApiKeys(node.store(), Clock.systemUTC());
      keys.reload();
      ApiKeys.InternalKey key = keys.internalKey("probe", KeyRole.SORTER);
      Principal p = keys.lookup(key.key()).orElseThrow();
      assertEquals(new Principal("node:probe", KeyRole.SORTER, true), p);
      keys.reload();
      assertTrue(keys.lookup(key.key()).isPresent(), "a reload from the store keeps internal keys");
      assertTrue(keys.list().stream().noneMatch(r -> r.name().contains("probe")), "never stored");
      assertTrue(keys.lookup(ServingFixture.ADMIN_KEY).isPresent());
      key.close();
      assertFalse(keys.lookup(key.key()).isPresent());
      keys.reload();
      assertFalse(keys.lookup(key.key()).isPresent());
      assertTrue(keys.lookup(ServingFixture.ADMIN_KEY).isPresent());
    } finally {
      ServingFixture.stop(node);
    }
  }
}
