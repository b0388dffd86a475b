package org.cityvision.serving.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.ReviewConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.review.open311.CameraSite;
import org.cityvision.serving.review.open311.Open311Config;
import org.cityvision.serving.review.webhook.WebhookConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} carries the JVM and process metrics and the counters of every background part:
 * webhooks, the Open311 export and its scheduled resend, batch jobs.
 */
class MetricsEndpointTest {
  @TempDir Path data;

  @Test
  void exposesJvmProcessWebhookOpen311AndBatchCountersAndResendsAFailedOpen311Push()
      throws Exception {
    AtomicInteger failuresLeft = new AtomicInteger(1);
    AtomicInteger received = new AtomicInteger();
    HttpServer city = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    city.createContext(
        "/georeport/v2/requests.json",
        ex -> {
          ex.getRequestBody().readAllBytes();
          received.incrementAndGet();
          boolean fail = failuresLeft.getAndDecrement() > 0;
          byte[] body =
              (fail
                      ? "[{\"code\":500,\"description\":\"offline\"}]"
                      : "[{\"service_request_id\":\"" + received.get() + "\"}]")
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(fail ? 500 : 201, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    city.start();
    ServerConfig c = ServingFixture.withModels(data);
    Open311Config open311 =
        new Open311Config(
            "http://127.0.0.1:" + city.getAddress().getPort() + "/georeport/v2",
            "",
            Map.of(
                "graffiti",
                "GRAF-01",
                "pothole_road_damage",
                "ROAD-1",
                "garbage_dumping",
                "DUMP-2",
                "flooding",
                "FLOOD-3"),
            Map.of("cam-m", new CameraSite(52.37, 4.89, "Dam")),
            null,
            0,
            5_000,
            1,
            7);
    ServingNode node =
        ServingFixture.start(c.withReview(new ReviewConfig(WebhookConfig.defaults(), open311)));
    try (TestClient http = new TestClient(node.port())) {
      String camera = http.newKey("camera", "metrics-camera");
      Response frame =
          http.post("/v1/cameras/cam-m/frames", camera, "image/jpeg", TestImages.jpeg(320, 240, 5));
      assertEquals(201, frame.status(), frame.text());
      String frameId = frame.json().getString("frameId");
      if (!frame.json().getBoolean("flagged")) {
        node.store()
            .createFlag(FlagRecord.open(frameId, "graffiti", 0.9, "urban", "1.1.0", Instant.now()));
      }
      Response review =
          http.postJson(
              "/v1/flags/" + frameId + "/review",
              ServingFixture.ADMIN_KEY,
              new JsonObject().put("verdict", "confirm"));
      assertEquals(200, review.status(), review.text());
      Response batch =
          http.postJson(
              "/v1/batch",
              ServingFixture.ADMIN_KEY,
              new JsonObject().put("task", "urban").put("prefix", "frames/cam-m/"));
      assertEquals(202, batch.status(), batch.text());

      String metrics =
          awaitMetrics(
              http,
              m ->
                  value(m, "cityvision_open311_pushes_total\\{outcome=\"submitted\"\\}") >= 1
                      && value(m, "cityvision_batch_jobs_total\\{status=\"done\"\\}") >= 1);

      assertEquals(
          1,
          value(metrics, "cityvision_open311_pushes_total\\{outcome=\"failed\"\\}"),
          "the first push met the city's outage: " + metrics);
      assertEquals(
          1,
          value(metrics, "cityvision_open311_pushes_total\\{outcome=\"submitted\"\\}"),
          "the scheduled resend sent it");
      assertEquals(2, received.get());
      assertTrue(value(metrics, "cityvision_open311_resend_passes") >= 1);
      assertEquals(
          1,
          value(metrics, "cityvision_batch_frames_total\\{outcome=\"skipped\"\\}"),
          "the frame had this model version's result already");
      assertEquals(
          0, value(metrics, "cityvision_webhook_deliveries_total\\{outcome=\"dropped\"\\}"));
      assertEquals(0, value(metrics, "cityvision_batch_jobs_running"));
      assertTrue(value(metrics, "jvm_memory_used_bytes\\{area=\"heap\"\\}") > 0, "JVM heap");
      assertTrue(value(metrics, "jvm_threads_current") > 0, "JVM threads");
      assertTrue(value(metrics, "process_cpu_seconds_total") > 0, "process CPU");
      assertTrue(metrics.contains("jvm_gc_collection_seconds"), "GC");
      assertTrue(metrics.contains("cityvision_http_requests_total{"), "the domain metrics stay");
    } finally {
      ServingFixture.stop(node);
      city.stop(0);
    }
  }

  private static String awaitMetrics(TestClient http, Predicate<String> ready) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      String m = http.get("/metrics", null).text();
      if (ready.test(m) || System.nanoTime() > deadline) {
        return m;
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }

  /** The value of the first sample matching {@code name} (a regex), or -1 when absent. */
  private static double value(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.eE+-]+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }
}
