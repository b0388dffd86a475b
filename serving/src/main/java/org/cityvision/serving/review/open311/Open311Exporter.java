package org.cityvision.serving.review.open311;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.review.ReviewEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends confirmed flags to the city's Open311 GeoReport v2 endpoint as service requests ({@code
 * POST {endpoint}/requests.json}, form-encoded: {@code api_key}, {@code service_code} from the
 * flag's label, {@code lat}/{@code long} from the camera's position, {@code description}, {@code
 * media_url} a presigned image URL).
 *
 * <p>Each flag is sent at most once across all serving nodes: before sending, a node claims the
 * flag's record in the store ({@code claimIdempotencyKey("open311:" + frameId)}); the city's answer
 * ({@code service_request_id}, or {@code token}) is written over the claim. A failed send is
 * recorded as failed and retried by the next {@link #pushConfirmed} pass.
 *
 * <p>{@link #flagReviewed} queues a push of a newly confirmed flag on this exporter's own thread
 * and returns at once (bounded queue: dropped pushes are counted and caught up by {@link
 * #pushConfirmed}).
 *
 * <p>Every {@code resendIntervalSeconds} each node also runs {@link #pushConfirmed} over the last
 * {@code resendLookbackDays}: failed sends, dropped pushes and confirmations made while the
 * endpoint or the node was down go out then (the claims keep each flag to one send across nodes).
 *
 * <h2>Ownership</h2>
 *
 * Owns two threads (the export and the resend); whoever creates it closes it. Does not own the
 * store. Thread-safe.
 */
public final class Open311Exporter implements ReviewEvents, AutoCloseable {
  /** Store records (the ledger is JSON the store keeps) and receivers' answers; thread-safe. */
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A claim younger than this is another node's send in progress, not a crashed one. */
  private static final Duration CLAIM_IN_PROGRESS = Duration.ofMinutes(2);

  private static final Logger LOG = LoggerFactory.getLogger(Open311Exporter.class);

  private final Open311Config config;
  private final FrameStore store;
  private final String apiKey;
  private final Clock clock;
  private final HttpClient http;
  private final ThreadPoolExecutor thread;
  private final AtomicLong dropped = new AtomicLong();
  private final Map<Open311Outcome.State, LongAdder> outcomes =
      new EnumMap<>(Open311Outcome.State.class);
  private final LongAdder resendPasses = new LongAdder();
  private final ScheduledExecutorService resend;

  private Open311Exporter(Open311Config config, FrameStore store, String apiKey, Clock clock) {
    this.config = config;
    this.store = store;
    this.apiKey = apiKey;
    this.clock = clock;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofMillis(config.timeoutMs()))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(1000),
            r -> {
              Thread t = new Thread(r, "open311-export");
              t.setDaemon(true);
              return t;
            },
            (r, pool) -> dropped.incrementAndGet());
    for (Open311Outcome.State state : Open311Outcome.State.values()) {
      outcomes.put(state, new LongAdder());
    }
    if (config.resendIntervalSeconds() > 0) {
      resend =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "open311-resend");
                t.setDaemon(true);
                return t;
              });
      long period = config.resendIntervalSeconds();
      resend.scheduleWithFixedDelay(
          this::resendPass, Math.min(period, 60), period, TimeUnit.SECONDS);
    } else {
      resend = null;
    }
  }

  /**
   * One scheduled pass of {@link #pushConfirmed} over the lookback window; failures wait for the
   * next.
   */
  private void resendPass() {
    try {
      List<Open311Outcome> sent =
          pushConfirmed(clock.instant().minus(Duration.ofDays(config.resendLookbackDays())));
      resendPasses.increment();
      long submitted =
          sent.stream().filter(o -> o.state() == Open311Outcome.State.SUBMITTED).count();
      if (submitted > 0) {
        LOG.info("open311 resend: {} confirmed flag(s) submitted", submitted);
      }
    } catch (StorageException | RuntimeException e) {
      LOG.warn("open311 resend pass failed: {}", e.toString());
    }
  }

  /** Counters since start: pushes by outcome, pushes dropped, resend passes completed. */
  public Open311Stats stats() {
    Map<Open311Outcome.State, Long> byState = new EnumMap<>(Open311Outcome.State.class);
    outcomes.forEach((state, n) -> byState.put(state, n.sum()));
    return new Open311Stats(byState, dropped.get(), resendPasses.sum());
  }

  /**
   * @param env where the {@code api_key} is read ({@code config.apiKeyEnv()}; unset sends none)
   * @throws IllegalArgumentException if the export is not enabled
   */
  public static Open311Exporter start(
      Open311Config config, FrameStore store, Map<String, String> env, Clock clock) {
    if (!config.enabled()) {
      throw new IllegalArgumentException("review.open311.endpoint is not set");
    }
    return new Open311Exporter(config, store, env.get(config.apiKeyEnv()), clock);
  }

  @Override
  public void flagCreated(FlagRecord flag) {}

  @Override
  public void flagReviewed(FlagRecord flag) {
    if (flag.status() != FlagStatus.CONFIRMED || !config.serviceCodes().containsKey(flag.label())) {
      return;
    }
    try {
      thread.execute(
          () -> {
            try {
              push(flag);
            } catch (StorageException | RuntimeException e) {
              LOG.warn("open311 push of {} failed: {}", flag.frameId(), e.toString());
            }
          });
    } catch (RuntimeException closed) {
      dropped.incrementAndGet();
    }
  }

  /** Pushes queued by {@link #flagReviewed} that did not fit its queue. */
  public long dropped() {
    return dropped.get();
  }

  /**
   * Pushes every confirmed flag raised at or after {@code since} that was not sent yet, newest
   * first. Blocking.
   */
  public List<Open311Outcome> pushConfirmed(Instant since) throws StorageException {
    List<Open311Outcome> out = new ArrayList<>();
    FlagQuery query =
        new FlagQuery(
            FlagStatus.CONFIRMED, null, null, since, null, FlagOrder.NEWEST_FIRST, null, 200);
    Page<FlagRecord> page;
    do {
      page = store.listFlags(query);
      for (FlagRecord flag : page.items()) {
        if (config.serviceCodes().containsKey(flag.label())) {
          out.add(push(flag));
        }
      }
      query = query.withCursor(page.nextCursor());
    } while (page.hasMore());
    return out;
  }

  /** Sends one flag unless it was sent before. Blocking. */
  public Open311Outcome push(FlagRecord flag) throws StorageException {
    Open311Outcome outcome = send(flag);
    outcomes.get(outcome.state()).increment();
    return outcome;
  }

  private Open311Outcome send(FlagRecord flag) throws StorageException {
    String frameId = flag.frameId();
    if (flag.status() != FlagStatus.CONFIRMED) {
      return new Open311Outcome(
          frameId, Open311Outcome.State.SKIPPED, null, "flag is " + flag.status().keyName());
    }
    String serviceCode = config.serviceCodes().get(flag.label());
    if (serviceCode == null) {
      return new Open311Outcome(
          frameId, Open311Outcome.State.SKIPPED, null, "no service code for label " + flag.label());
    }
    String ledgerKey = "open311:" + frameId;
    Instant now = clock.instant();
    Optional<JsonNode> earlier =
        store.claimIdempotencyKey(ledgerKey, record("pending", now, null, null));
    if (earlier.isPresent()) {
      JsonNode e = earlier.get();
      String state = e.path("state").asText();
      if (state.equals("submitted")) {
        return new Open311Outcome(
            frameId,
            Open311Outcome.State.ALREADY_SUBMITTED,
            e.path("serviceRequestId").asText(null),
            null);
      }
      if (state.equals("pending")
          && Instant.parse(e.path("at").asText()).plus(CLAIM_IN_PROGRESS).isAfter(now)) {
        return new Open311Outcome(
            frameId, Open311Outcome.State.SKIPPED, null, "being sent by another node");
      }
      store.completeIdempotencyKey(ledgerKey, record("pending", now, null, null));
    }
    CameraSite site = config.cameras().get(flag.cameraId());
    if (site == null) {
      String detail = "camera " + flag.cameraId() + " has no position in review.open311.cameras";
      store.completeIdempotencyKey(ledgerKey, record("skipped", now, null, detail));
      return new Open311Outcome(frameId, Open311Outcome.State.SKIPPED, null, detail);
    }
    Map<String, String> form = new LinkedHashMap<>();
    if (apiKey != null) {
      form.put("api_key", apiKey);
    }
    if (!config.jurisdictionId().isEmpty()) {
      form.put("jurisdiction_id", config.jurisdictionId());
    }
    form.put("service_code", serviceCode);
    form.put("lat", Double.toString(site.lat()));
    form.put("long", Double.toString(site.longitude()));
    if (site.name() != null) {
      form.put("address_string", site.name());
    }
    form.put("description", description(flag, site));
    if (config.mediaUrlExpirySeconds() > 0) {
      form.put(
          "media_url",
          store
              .presignedFrameUrl(frameId, Duration.ofSeconds(config.mediaUrlExpirySeconds()))
              .toString());
    }
    try {
      String id = send(form);
      store.completeIdempotencyKey(ledgerKey, record("submitted", clock.instant(), id, null));
      return new Open311Outcome(frameId, Open311Outcome.State.SUBMITTED, id, null);
    } catch (IOException e) {
      store.completeIdempotencyKey(
          ledgerKey, record("failed", clock.instant(), null, e.getMessage()));
      return new Open311Outcome(frameId, Open311Outcome.State.FAILED, null, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      store.completeIdempotencyKey(
          ledgerKey, record("failed", clock.instant(), null, "interrupted"));
      return new Open311Outcome(frameId, Open311Outcome.State.FAILED, null, "interrupted");
    }
  }

  /** POSTs the form; the service request id (or token) from a 2xx GeoReport answer. */
  private String send(Map<String, String> form) throws IOException, InterruptedException {
    StringJoiner body = new StringJoiner("&");
    form.forEach(
        (k, v) ->
            body.add(
                URLEncoder.encode(k, StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(v, StandardCharsets.UTF_8)));
    String base = config.endpoint().endsWith("/") ? config.endpoint() : config.endpoint() + "/";
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "requests.json"))
            .timeout(Duration.ofMillis(config.timeoutMs()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode answer;
    try {
      answer = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IOException("Open311 answered HTTP " + response.statusCode() + " with no JSON", e);
    }
    JsonNode first = answer.isArray() ? answer.path(0) : answer;
    if (response.statusCode() / 100 != 2) {
      throw new IOException(
          "Open311 answered HTTP "
              + response.statusCode()
              + ": "
              + first.path("description").asText(response.body()));
    }
    String id = first.path("service_request_id").asText("");
    if (id.isEmpty()) {
      id = first.path("token").asText("");
    }
    if (id.isEmpty()) {
      throw new IOException(
          "Open311 answer has neither service_request_id nor token: " + response.body());
    }
    return id;
  }

  private static String description(FlagRecord flag, CameraSite site) {
    StringBuilder s = new StringBuilder();
    s.append(flag.label().replace('_', ' ')).append(" seen by camera ").append(flag.cameraId());
    if (site.name() != null) {
      s.append(" (").append(site.name()).append(')');
    }
    s.append(" at ").append(flag.flaggedAt());
    s.append("; confirmed by reviewer ")
        .append(flag.reviewer())
        .append(" at ")
        .append(flag.reviewedAt());
    s.append(
        String.format(
            Locale.ROOT,
            "; model %s %s, score %.2f",
            flag.model(),
            flag.modelVersion(),
            flag.score()));
    if (flag.note() != null && !flag.note().isBlank()) {
      s.append(". Note: ").append(flag.note());
    }
    s.append(". Frame ").append(flag.frameId()).append('.');
    return s.toString();
  }

  private static ObjectNode record(
      String state, Instant at, String serviceRequestId, String detail) {
    ObjectNode n = JSON.createObjectNode();
    n.put("state", state);
    n.put("at", at.toString());
    if (serviceRequestId != null) {
      n.put("serviceRequestId", serviceRequestId);
    }
    if (detail != null) {
      n.put("detail", detail);
    }
    return n;
  }

  /**
   * Stops the export thread; queued pushes are dropped (the next {@link #pushConfirmed} sends
   * them).
   */
  @Override
  public void close() {
    if (resend != null) {
      resend.shutdownNow();
    }
    thread.shutdownNow();
  }
}
