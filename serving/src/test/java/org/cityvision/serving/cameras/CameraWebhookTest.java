package org.cityvision.serving.cameras;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.quality.CameraCondition;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.HealthTransition;
import org.cityvision.core.quality.QualityFault;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.serving.review.webhook.Webhook;
import org.cityvision.serving.review.webhook.WebhookConfig;
import org.cityvision.serving.review.webhook.WebhookNotifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Camera state changes as webhook events, to a real HTTP receiver on 127.0.0.1. */
class CameraWebhookTest {
  private static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer receiver;
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          received.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private WebhookNotifier notifier(List<String> events) {
    Webhook hook =
        new Webhook("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", events, null);
    return WebhookNotifier.start(
        new WebhookConfig(List.of(hook), 100, 3, 5, 50, 5_000),
        Map.of(Webhook.DEFAULT_SECRET_ENV, "camera-webhook-secret-0123"),
        Clock.systemUTC());
  }

  private static CameraState camera(CameraCondition condition) {
    CameraState s = CameraState.initial("cam-3", T0);
    return new CameraState(
        s.cameraId(),
        condition,
        T0,
        s.baseline(),
        condition == CameraCondition.FAULT ? Map.of(QualityFault.COVERED, T0) : Map.of(),
        Map.of(),
        Map.of(),
        9,
        T0,
        null,
        null,
        List.of(),
        0,
        null,
        List.of(),
        null,
        List.of());
  }

  private void awaitReceived(int n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (received.size() < n && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    assertEquals(n, received.size(), "events received: " + received);
  }

  @Test
  void faultSilenceAndRecoveryGoToReceiversThatListThem() {
    try (WebhookNotifier notifier =
        notifier(List.of("camera.fault", "camera.silent", "camera.recovered"))) {
      notifier.cameraChanged(
          camera(CameraCondition.FAULT),
          new HealthTransition(
              T0, CameraCondition.OK, CameraCondition.FAULT, List.of(QualityFault.COVERED)));
      awaitReceived(1);
      notifier.cameraChanged(
          camera(CameraCondition.OK),
          new HealthTransition(
              T0.plusSeconds(20), CameraCondition.FAULT, CameraCondition.OK, List.of()));
      awaitReceived(2);
      notifier.cameraChanged(
          camera(CameraCondition.SILENT),
          new HealthTransition(
              T0.plusSeconds(90), CameraCondition.OK, CameraCondition.SILENT, List.of()));
      notifier.flagCreated(
          FlagRecord.open(
              "cam-3.20260301T080000000Z.0123456789ab", "graffiti", 0.9, "urban", "1.0.0", T0));
      awaitReceived(3);
    }
    assertEquals(
        List.of("camera.fault", "camera.recovered", "camera.silent"),
        received.stream().map(n -> n.get("event").asText()).toList());
    JsonNode fault = received.get(0).get("camera");
    assertEquals("cam-3", fault.get("cameraId").asText());
    assertEquals("fault", fault.get("state").asText());
    assertEquals("ok", fault.get("from").asText());
    assertEquals(T0.toString(), fault.at("/faults/covered").asText());
  }

  @Test
  void receiversWithTheDefaultEventsGetNoCameraEvents() {
    try (WebhookNotifier notifier = notifier(List.of())) {
      notifier.cameraChanged(
          camera(CameraCondition.FAULT),
          new HealthTransition(
              T0, CameraCondition.OK, CameraCondition.FAULT, List.of(QualityFault.COVERED)));
      notifier.flagCreated(
          FlagRecord.open(
              "cam-3.20260301T080000000Z.0123456789ab", "graffiti", 0.9, "urban", "1.0.0", T0));
      awaitReceived(1);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (notifier.stats().pending() > 0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
      }
      assertEquals(0, notifier.stats().pending());
      assertEquals(1, notifier.stats().delivered(), "only the flag event was queued");
    }
    assertEquals("flag.created", received.get(0).get("event").asText());
  }
}
