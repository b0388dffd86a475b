package org.cityvision.serving.review.webhook;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.HealthTransition;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.serving.cameras.CameraEvents;
import org.cityvision.serving.cameras.CameraRoutes;
import org.cityvision.serving.review.ReviewEvents;
import org.cityvision.serving.review.ReviewJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends review events to the configured webhooks: a JSON POST per event and receiver, signed under
 * the receiver's secret. Each try carries {@code X-CityVision-Timestamp: <unix seconds>} and {@code
 * X-CityVision-Signature-256: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">}, so a
 * receiver that checks the timestamp's age (5 minutes in {@code docs/INTEGRATION.md}) refuses a
 * captured delivery played again later. {@code X-CityVision-Signature: sha256=<hex HMAC-SHA256 of
 * the body>} is still sent for receivers written against it; it is deprecated, as it does not cover
 * the time.
 *
 * <p>{@link #flagCreated} and {@link #flagReviewed} only queue: they never block and never throw,
 * so ingest cannot be slowed by a slow receiver. The queue is bounded; what does not fit is dropped
 * and counted ({@link #stats()}). Each delivery is tried up to {@code maxAttempts} times with
 * exponential backoff (plus up to 20% jitter, so receivers coming back are not hit all at once);
 * 2xx is success; 4xx other than 408 and 429 is a permanent failure (retrying the same body will
 * not help). Every try of one delivery carries the same {@code X-CityVision-Delivery} id, so
 * receivers can drop duplicates.
 *
 * <h2>Ownership</h2>
 *
 * Owns a scheduler thread and the HTTP client's threads; whoever creates it closes it. Close drops
 * what is still queued. Thread-safe.
 */
public final class WebhookNotifier implements ReviewEvents, CameraEvents, AutoCloseable {
  /** Deprecated: the body's HMAC alone, which a replayed delivery still carries. */
  public static final String SIGNATURE_HEADER = "X-CityVision-Signature";

  /** {@code t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">}. */
  public static final String SIGNATURE_256_HEADER = "X-CityVision-Signature-256";

  /** When this try was signed, in unix seconds; the same value as the signature's {@code t}. */
  public static final String TIMESTAMP_HEADER = "X-CityVision-Timestamp";

  public static final String EVENT_HEADER = "X-CityVision-Event";
  public static final String DELIVERY_HEADER = "X-CityVision-Delivery";

  private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);

  private final WebhookConfig config;
  private final List<Receiver> receivers;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService httpThreads;
  private final HttpClient http;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();

  private record Receiver(Webhook hook, URI uri, SecretKeySpec key) {}

  private record Delivery(
      Receiver receiver, WebhookEvent event, String id, byte[] body, String signature) {}

  private WebhookNotifier(WebhookConfig config, List<Receiver> receivers, Clock clock) {
    this.config = config;
    this.receivers = receivers;
    this.clock = clock;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "webhook-scheduler"));
    this.httpThreads = Executors.newFixedThreadPool(2, r -> daemon(r, "webhook-http"));
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofMillis(config.timeoutMs()))
            .executor(httpThreads)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * Starts a notifier.
   *
   * @param env where each receiver's secret is read ({@code System.getenv()})
   * @throws IllegalArgumentException if a receiver's secret variable is unset or shorter than 16
   *     characters
   */
  public static WebhookNotifier start(WebhookConfig config, Map<String, String> env, Clock clock) {
    List<Receiver> receivers = new ArrayList<>();
    for (Webhook hook : config.hooks()) {
      String secret = env.get(hook.secretEnv());
      if (secret == null || secret.strip().length() < 16) {
        throw new IllegalArgumentException(
            "webhook "
                + hook.url()
                + " needs a secret of at least 16 characters in "
                + hook.secretEnv());
      }
      receivers.add(
          new Receiver(
              hook,
              URI.create(hook.url()),
              new SecretKeySpec(secret.strip().getBytes(StandardCharsets.UTF_8), "HmacSHA256")));
    }
    return new WebhookNotifier(config, List.copyOf(receivers), clock);
  }

  @Override
  public void flagCreated(FlagRecord flag) {
    publish(WebhookEvent.FLAG_CREATED, flag);
  }

  @Override
  public void flagReviewed(FlagRecord flag) {
    if (flag.status() == FlagStatus.CONFIRMED) {
      publish(WebhookEvent.FLAG_CONFIRMED, flag);
    }
  }

  @Override
  public void cameraChanged(CameraState camera, HealthTransition transition) {
    WebhookEvent event =
        switch (transition.to()) {
          case OK -> WebhookEvent.CAMERA_RECOVERED;
          case SILENT -> WebhookEvent.CAMERA_SILENT;
          case FAULT, DEGRADED -> WebhookEvent.CAMERA_FAULT;
        };
    publish(
        event,
        camera.cameraId(),
        (n, id) ->
            n.put(
                "camera",
                CameraRoutes.summary(camera)
                    .put("from", transition.from().wireName())
                    .put("changedAt", transition.at().toString())));
  }

  public WebhookStats stats() {
    return new WebhookStats(
        delivered.get(), failed.get(), dropped.get(), retried.get(), pending.get());
  }

  private void publish(WebhookEvent event, FlagRecord flag) {
    publish(event, flag.frameId(), (n, id) -> n.put("flag", ReviewJson.flag(flag)));
  }

  /**
   * Queues one delivery of {@code event} per receiver that wants it; {@code subject} names it in
   * the log.
   */
  private void publish(WebhookEvent event, String subject, BiConsumer<JsonObject, String> fill) {
    try {
      byte[] body = null;
      String id = null;
      for (Receiver r : receivers) {
        if (!r.hook().wants(event)) {
          continue;
        }
        if (pending.incrementAndGet() > config.queueCapacity()) {
          pending.decrementAndGet();
          dropped.incrementAndGet();
          continue;
        }
        if (body == null) {
          id = UUID.randomUUID().toString();
          body = body(event, id, fill);
        }
        Delivery d = new Delivery(r, event, id, body, "sha256=" + hmac(r.key(), body));
        scheduler.execute(() -> attempt(d, 1));
      }
    } catch (RuntimeException e) {
      // Rejected after close, or a bug: never let it reach ingest.
      LOG.warn("webhook event {} for {} not queued: {}", event.wireName(), subject, e.toString());
    }
  }

  private byte[] body(WebhookEvent event, String id, BiConsumer<JsonObject, String> fill) {
    JsonObject n =
        new JsonObject()
            .put("id", id)
            .put("event", event.wireName())
            .put("occurredAt", clock.instant().toString());
    fill.accept(n, id);
    return n.encode().getBytes(StandardCharsets.UTF_8);
  }

  /** Lower-case hex HMAC-SHA256 of {@code body}: what receivers recompute to check a delivery. */
  public static String hmac(SecretKeySpec key, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has HmacSHA256", e);
    }
  }

  /**
   * The value of {@link #SIGNATURE_256_HEADER}: {@code t=<timestamp>,v1=<hex HMAC-SHA256 of
   * "<timestamp>.<body>">}, the timestamp in unix seconds as ASCII digits.
   */
  public static String signature256(SecretKeySpec key, long timestamp, byte[] body) {
    byte[] prefix = (timestamp + ".").getBytes(StandardCharsets.US_ASCII);
    byte[] signed = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, signed, 0, prefix.length);
    System.arraycopy(body, 0, signed, prefix.length, body.length);
    return "t=" + timestamp + ",v1=" + hmac(key, signed);
  }

  private void attempt(Delivery d, int attempt) {
    // Each try is signed when it is sent, so a retry minutes later is still within a receiver's
    // window.
    long timestamp = clock.instant().getEpochSecond();
    HttpRequest request =
        HttpRequest.newBuilder(d.receiver().uri())
            .timeout(Duration.ofMillis(config.timeoutMs()))
            .header("Content-Type", "application/json")
            .header("User-Agent", "cityvision-webhooks")
            .header(EVENT_HEADER, d.event().wireName())
            .header(DELIVERY_HEADER, d.id())
            .header(SIGNATURE_HEADER, d.signature())
            .header(TIMESTAMP_HEADER, Long.toString(timestamp))
            .header(SIGNATURE_256_HEADER, signature256(d.receiver().key(), timestamp, d.body()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(d.body()))
            .build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              int status = response == null ? 0 : response.statusCode();
              if (error == null && status >= 200 && status < 300) {
                delivered.incrementAndGet();
                pending.decrementAndGet();
                return;
              }
              boolean permanent = status >= 400 && status < 500 && status != 408 && status != 429;
              if (permanent || attempt >= config.maxAttempts()) {
                failed.incrementAndGet();
                pending.decrementAndGet();
                LOG.warn(
                    "webhook {} {} delivery {} failed after {} tries: {}",
                    d.receiver().uri(),
                    d.event().wireName(),
                    d.id(),
                    attempt,
                    error != null ? error.toString() : "HTTP " + status);
                return;
              }
              retried.incrementAndGet();
              try {
                scheduler.schedule(
                    () -> attempt(d, attempt + 1), backoffMs(attempt), TimeUnit.MILLISECONDS);
              } catch (RuntimeException closed) {
                pending.decrementAndGet();
              }
            });
  }

  private long backoffMs(int attempt) {
    long base = config.initialBackoffMs() << Math.min(attempt - 1, 30);
    long capped = Math.min(Math.max(base, config.initialBackoffMs()), config.maxBackoffMs());
    return capped + ThreadLocalRandom.current().nextLong(capped / 5 + 1);
  }

  /** Stops sending; what is queued or waiting for a retry is dropped. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    httpThreads.shutdownNow();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
