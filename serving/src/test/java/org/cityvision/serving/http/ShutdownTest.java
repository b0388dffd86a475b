package org.cityvision.serving.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shutdown drains: requests in flight when it starts still get their answers. */
class ShutdownTest {
  @TempDir Path data;

  @Test
  void requestsInFlightCompleteDuringShutdown() throws Exception {
    ServingNode node = ServingFixture.start(ServingFixture.withModels(data));
    try (TestClient http = new TestClient(node.port())) {
      String camera = http.newKey("camera", "drain");
      List<Future<Response>> inFlight = new ArrayList<>();
      // Fewer requests than the client's connection pool (5), so that every one is really sent and
      // in flight when shutdown starts; a request still queued in the client is not the server's.
      int requests = 4;
      for (int i = 0; i < requests; i++) {
        inFlight.add(
            http.async(
                HttpMethod.POST,
                "/v1/cameras/cam-drain/frames",
                camera,
                Map.of("Content-Type", "image/jpeg"),
                TestImages.jpeg(1280, 720, 50 + i)));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      // Shut down only once the server holds every request: a connection whose request has not been
      // sent yet is idle, and closing idle connections is what a graceful shutdown does.
      while (node.models().task("urban").orElseThrow().inFlight() < requests
          && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
      Future<Void> stopped = node.shutdown();
      for (Future<Response> f : inFlight) {
        Response r = TestClient.await(f);
        assertTrue(r.status() == 201 || r.status() == 503, r.text());
      }
      assertTrue(
          inFlight.stream().anyMatch(f -> f.result().status() == 201),
          "no request in flight completed");
      TestClient.await(stopped);
    } finally {
      ServingFixture.stop(node);
    }
  }
}
