package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.spec.SecretKeySpec;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.serving.review.webhook.Webhook;
import org.cityvision.serving.review.webhook.WebhookConfig;
import org.cityvision.serving.review.webhook.WebhookNotifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhooks against a real HTTP receiver on 127.0.0.1 that fails when told to. */
class WebhookNotifierTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String SECRET = "webhook-secret-0123456789";
  private static final FlagRecord FLAG =
      FlagRecord.open(
          "cam-7.20250601T120000000Z.0123456789ab",
          "graffiti",
          0.91,
          "urban",
          "1.0.0",
          Instant.parse("2025-06-01T12:00:01Z"));

  record Received(String event, String delivery, String signature, byte[] body) {}

  HttpServer receiver;
  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger failuresLeft = new AtomicInteger();
  final CompletableFuture<Received> firstSuccess = new CompletableFuture<>();
  volatile CountDownLatch hold = new CountDownLatch(0);

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", this::handle);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.start();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      hold.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Received r =
        new Received(
            ex.getRequestHeaders().getFirst(WebhookNotifier.EVENT_HEADER),
            ex.getRequestHeaders().getFirst(WebhookNotifier.DELIVERY_HEADER),
            ex.getRequestHeaders().getFirst(WebhookNotifier.SIGNATURE_HEADER),
            ex.getRequestBody().readAllBytes());
    received.add(r);
    int status = failuresLeft.getAndDecrement() > 0 ? 503 : 204;
    ex.sendResponseHeaders(status, -1);
    ex.close();
    if (status == 204) {
      firstSuccess.complete(r);
    }
  }

  @AfterEach
  void stopReceiver() {
    hold.countDown();
    receiver.stop(0);
  }

  private WebhookNotifier notifier(int capacity, List<String> events) {
    Webhook hook =
        new Webhook("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", events, null);
    WebhookConfig config = new WebhookConfig(List.of(hook), capacity, 5, 5, 50, 5_000);
    return WebhookNotifier.start(
        config, Map.of(Webhook.DEFAULT_SECRET_ENV, SECRET), Clock.systemUTC());
  }

  @Test
  void retriesWithBackoffUntilTheReceiverAcceptsAndSignsEveryTry() throws Exception {
    failuresLeft.set(2);
    try (WebhookNotifier notifier = notifier(10, List.of())) {
      notifier.flagCreated(FLAG);
      Received ok = firstSuccess.get(30, TimeUnit.SECONDS);

      assertEquals(3, received.size());
      assertEquals(
          1,
          received.stream().map(Received::delivery).distinct().count(),
          "one delivery id for every try");
      String expected =
          "sha256="
              + WebhookNotifier.hmac(
                  new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"),
                  ok.body());
      assertEquals(expected, ok.signature());
      assertEquals("flag.created", ok.event());
      JsonNode body = JSON.readTree(ok.body());
      assertEquals("flag.created", body.get("event").asText());
      assertEquals(FLAG.frameId(), body.at("/flag/frameId").asText());
      assertEquals("graffiti", body.at("/flag/label").asText());
      waitUntil(() -> notifier.stats().delivered() == 1);
      assertEquals(2, notifier.stats().retried());
      assertEquals(0, notifier.stats().pending());
    }
  }

  @Test
  void sendsConfirmationsOnlyForConfirmedFlagsAndOnlyToSubscribers() throws Exception {
    FlagRecord confirmed =
        new FlagRecord(
            FLAG.frameId(),
            FLAG.cameraId(),
            FLAG.label(),
            FLAG.score(),
            FLAG.model(),
            FLAG.modelVersion(),
            FLAG.flaggedAt(),
            FlagStatus.CONFIRMED,
            2,
            "alice",
            Instant.now(),
            null,
            null);
    FlagRecord rejected =
        new FlagRecord(
            FLAG.frameId(),
            FLAG.cameraId(),
            FLAG.label(),
            FLAG.score(),
            FLAG.model(),
            FLAG.modelVersion(),
            FLAG.flaggedAt(),
            FlagStatus.REJECTED,
            2,
            "alice",
            Instant.now(),
            null,
            null);
    try (WebhookNotifier notifier = notifier(10, List.of("flag.confirmed"))) {
      notifier.flagCreated(FLAG);
      notifier.flagReviewed(rejected);
      notifier.flagReviewed(confirmed);
      Received ok = firstSuccess.get(30, TimeUnit.SECONDS);
      assertEquals("flag.confirmed", ok.event());
      assertEquals("alice", JSON.readTree(ok.body()).at("/flag/reviewer").asText());
      waitUntil(() -> notifier.stats().pending() == 0);
      assertEquals(1, received.size());
    }
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    hold = new CountDownLatch(1);
    try (WebhookNotifier notifier = notifier(2, List.of())) {
      long start = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        notifier.flagCreated(FLAG);
      }
      long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
      assertEquals(8, notifier.stats().dropped());
      assertEquals(2, notifier.stats().pending());
      assertTrue(micros < 1_000_000, "publishing took " + micros + " µs while the receiver hung");
      hold.countDown();
      waitUntil(() -> notifier.stats().delivered() == 2);
    }
  }

  @Test
  void refusesAHookWithoutASecret() {
    Webhook hook = new Webhook("http://127.0.0.1:1/hook", List.of(), "CITYVISION_NO_SUCH_SECRET");
    IllegalArgumentException e =
        Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                WebhookNotifier.start(
                    WebhookConfig.defaults().withHooks(List.of(hook)),
                    Map.of(),
                    Clock.systemUTC()));
    assertTrue(e.getMessage().contains("CITYVISION_NO_SUCH_SECRET"), e.getMessage());
  }

  /** Polls a counter the sender updates after the receiver answered; bounded, no fixed sleep. */
  private static void waitUntil(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }
}
