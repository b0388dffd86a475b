package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.serving.review.webhook.Webhook;
import org.cityvision.serving.review.webhook.WebhookConfig;
import org.cityvision.serving.review.webhook.WebhookNotifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhook signatures against a real receiver on 127.0.0.1 that verifies them as {@code
 * docs/INTEGRATION.md} shows: the timestamped signature is accepted when fresh, and the same
 * delivery played again more than 5 minutes later, or with its timestamp changed, is refused.
 */
class WebhookSignatureTest {
  private static final String SECRET = "webhook-secret-0123456789";
  private static final long TOLERANCE_SECONDS = 300;
  private static final FlagRecord FLAG =
      FlagRecord.open(
          "cam-7.20250601T120000000Z.0123456789ab",
          "graffiti",
          0.91,
          "urban",
          "1.0.0",
          Instant.parse("2025-06-01T12:00:01Z"));

  record Captured(String timestamp, String signature256, String legacySignature, byte[] body) {}

  HttpServer receiver;

  /** The receiver's clock, in unix seconds: a test moves it to play a delivery back later. */
  final AtomicLong receiverNow = new AtomicLong();

  final CompletableFuture<Captured> accepted = new CompletableFuture<>();

  @BeforeEach
  void startReceiver() throws Exception {
    receiverNow.set(Instant.now().getEpochSecond());
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", this::handle);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    Captured c =
        new Captured(
            ex.getRequestHeaders().getFirst(WebhookNotifier.TIMESTAMP_HEADER),
            ex.getRequestHeaders().getFirst(WebhookNotifier.SIGNATURE_256_HEADER),
            ex.getRequestHeaders().getFirst(WebhookNotifier.SIGNATURE_HEADER),
            body);
    boolean ok = verify(SECRET, c.timestamp(), c.signature256(), body, receiverNow.get());
    ex.sendResponseHeaders(ok ? 204 : 401, -1);
    ex.close();
    if (ok) {
      accepted.complete(c);
    }
  }

  /**
   * The receiver's check, step for step as the Python example of {@code docs/INTEGRATION.md}: the
   * header's {@code t} equals the timestamp header, is within 5 minutes of now, and {@code v1} is
   * the HMAC-SHA256 of {@code "<t>.<body>"}, compared in constant time.
   */
  static boolean verify(
      String secret, String timestampHeader, String signatureHeader, byte[] body, long now)
      throws IOException {
    if (timestampHeader == null || signatureHeader == null) {
      return false;
    }
    String t = null;
    String v1 = null;
    for (String part : signatureHeader.split(",")) {
      String[] kv = part.strip().split("=", 2);
      if (kv.length == 2 && kv[0].equals("t")) {
        t = kv[1];
      } else if (kv.length == 2 && kv[0].equals("v1")) {
        v1 = kv[1];
      }
    }
    if (t == null || v1 == null || !t.equals(timestampHeader) || !t.matches("[0-9]{1,12}")) {
      return false;
    }
    if (Math.abs(now - Long.parseLong(t)) > TOLERANCE_SECONDS) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
      String expected = HexFormat.of().formatHex(mac.doFinal(body));
      return MessageDigest.isEqual(
          expected.getBytes(StandardCharsets.US_ASCII), v1.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private WebhookNotifier notifier(Clock clock) {
    Webhook hook = new Webhook(hookUrl(), List.of(), null);
    WebhookConfig config = new WebhookConfig(List.of(hook), 10, 1, 5, 50, 5_000);
    return WebhookNotifier.start(config, Map.of(Webhook.DEFAULT_SECRET_ENV, SECRET), clock);
  }

  private String hookUrl() {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  @Test
  void aFreshDeliveryCarriesATimestampedSignatureTheReceiverAccepts() throws Exception {
    try (WebhookNotifier notifier = notifier(Clock.systemUTC())) {
      notifier.flagCreated(FLAG);
      Captured c = accepted.get(30, TimeUnit.SECONDS);

      long t = Long.parseLong(c.timestamp());
      assertTrue(Math.abs(Instant.now().getEpochSecond() - t) <= 5, "signed now: " + t);
      assertTrue(c.signature256().matches("t=" + t + ",v1=[0-9a-f]{64}"), c.signature256());
      SecretKeySpec key = new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
      assertEquals(
          "sha256=" + WebhookNotifier.hmac(key, c.body()),
          c.legacySignature(),
          "the deprecated body-only signature is still sent");
      assertEquals(WebhookNotifier.signature256(key, t, c.body()), c.signature256());
    }
  }

  @Test
  void theSameDeliveryPlayedAgainAfterFiveMinutesOrWithANewTimestampIsRefused() throws Exception {
    Captured c;
    try (WebhookNotifier notifier = notifier(Clock.systemUTC())) {
      notifier.flagCreated(FLAG);
      c = accepted.get(30, TimeUnit.SECONDS);
    }
    long t = Long.parseLong(c.timestamp());

    assertEquals(
        204, replay(c.timestamp(), c.signature256(), c.body()), "within the window it is valid");
    receiverNow.set(t + TOLERANCE_SECONDS + 1);
    assertEquals(
        401, replay(c.timestamp(), c.signature256(), c.body()), "a capture replayed 5 min later");
    String fresh = Long.toString(t + TOLERANCE_SECONDS + 1);
    assertEquals(
        401,
        replay(fresh, c.signature256().replace("t=" + t, "t=" + fresh), c.body()),
        "a replay with its timestamp moved forward no longer matches the signature");
    receiverNow.set(t);
    byte[] changed =
        new String(c.body(), StandardCharsets.UTF_8)
            .replace("graffiti", "flooding")
            .getBytes(StandardCharsets.UTF_8);
    assertEquals(401, replay(c.timestamp(), c.signature256(), changed), "a changed body");
  }

  @Test
  void aDeliverySignedMoreThanFiveMinutesAgoIsRefusedAndCountedAsFailed() throws Exception {
    Clock late = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-(TOLERANCE_SECONDS + 60)));
    try (WebhookNotifier notifier = notifier(late)) {
      notifier.flagCreated(FLAG);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (notifier.stats().failed() == 0) {
        assertTrue(System.nanoTime() < end, "the stale delivery was not refused within 30 s");
        Thread.onSpinWait();
      }
      assertEquals(0, notifier.stats().delivered());
      assertFalse(accepted.isDone(), "the receiver accepted nothing");
    }
  }

  private int replay(String timestamp, String signature256, byte[] body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(hookUrl()))
            .header("Content-Type", "application/json")
            .header(WebhookNotifier.TIMESTAMP_HEADER, timestamp)
            .header(WebhookNotifier.SIGNATURE_256_HEADER, signature256)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpClient client = HttpClient.newHttpClient();
    return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
