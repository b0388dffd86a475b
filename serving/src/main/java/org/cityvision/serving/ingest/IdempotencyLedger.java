package org.cityvision.serving.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.http.ApiException;

/**
 * {@code Idempotency-Key} records in the shared store, so that a retry on any node gets the first
 * answer and stores no second frame.
 *
 * <p>Each request's key is scoped to its camera and goes through numbered attempts, each claimed
 * with the store's create-if-absent primitive. The claim records the frame id the request will
 * store under <em>before</em> anything is written, and every later attempt of the key reuses it:
 * whatever runs the request writes the same objects, so a key never stores a second frame.
 *
 * <p>A claim that wins runs the request and records {@code done} with the answer, or {@code failed}
 * (the next retry claims the next attempt, same frame id). A claim that loses reads the record:
 * {@code done} is replayed; {@code in_progress} is waited for while it is younger than {@code
 * takeoverAfter} (another node may be finishing it), then <em>taken over</em>: the retry runs the
 * request itself under the recorded frame id, which completes what a crashed request left (its
 * frame, result and flag are written again as identical objects, its claim completed) or stores the
 * frame for the first time if it never got that far. Records written without a frame id are taken
 * over only after {@code staleAfter}. A key reused with a different body is refused (400).
 *
 * <p>Blocking (store calls and short waits): call from a worker thread. Thread-safe.
 */
public final class IdempotencyLedger {
  static final int MAX_ATTEMPTS = 8;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FrameStore store;
  private final Clock clock;
  private final Duration takeoverAfter;
  private final Duration staleAfter;
  private final String node;

  /**
   * @param takeoverAfter how long after its start a running request is waited for before a retry
   *     takes it over
   * @param staleAfter when a record without a frame id counts as abandoned
   */
  public IdempotencyLedger(
      FrameStore store, Clock clock, Duration takeoverAfter, Duration staleAfter, String node) {
    this.store = store;
    this.clock = clock;
    this.takeoverAfter = takeoverAfter;
    this.staleAfter = staleAfter;
    this.node = node;
  }

  /**
   * What a claim decided: run the request under {@code attemptKey}, storing the frame as {@code
   * frameId}, or replay {@code answer}.
   *
   * @param takeover the request had been started by a request that did not finish (it may have
   *     stored the frame already)
   */
  public record Claim(String attemptKey, JsonNode answer, FrameId frameId, boolean takeover) {
    public boolean owned() {
      return answer == null;
    }
  }

  /**
   * Claims the key for a request whose body hashes to {@code bodyHash}.
   *
   * @param planned the frame id to store under unless an earlier attempt of the key recorded one
   * @throws ApiException 400 {@code idempotency_key_reused} for a different body; 409 {@code
   *     idempotency_in_progress} only if the store keeps answering with a record that is neither
   *     finished nor old enough to take over past the wait bound
   */
  public Claim claim(String scope, String clientKey, String bodyHash, FrameId planned)
      throws StorageException {
    long deadline = System.nanoTime() + takeoverAfter.toNanos() + Duration.ofSeconds(1).toNanos();
    FrameId frameId = planned;
    int attempt = 1;
    while (attempt <= MAX_ATTEMPTS) {
      String attemptKey = scope + "/" + clientKey + "#" + attempt;
      ObjectNode mine =
          JSON.createObjectNode()
              .put("state", "in_progress")
              .put("bodySha256", bodyHash)
              .put("node", node)
              .put("startedAt", clock.instant().toString())
              .put("frameId", frameId.value());
      Optional<JsonNode> existing = store.claimIdempotencyKey(attemptKey, mine);
      if (existing.isEmpty()) {
        return new Claim(attemptKey, null, frameId, false);
      }
      JsonNode record = existing.get();
      if (!bodyHash.equals(record.path("bodySha256").asText())) {
        throw ApiException.badRequest(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different frame; use a new key for a new frame");
      }
      FrameId recorded = frameId(record);
      if (recorded != null) {
        frameId = recorded;
      }
      Instant started = parse(record.path("startedAt").asText());
      switch (record.path("state").asText()) {
        case "done" -> {
          return new Claim(attemptKey, record.path("answer"), frameId, false);
        }
        case "failed" -> attempt++;
        default -> {
          Instant now = clock.instant();
          if (recorded != null && (started == null || !started.plus(takeoverAfter).isAfter(now))) {
            return new Claim(attemptKey, null, recorded, true);
          }
          if (recorded == null && (started == null || started.plus(staleAfter).isBefore(now))) {
            attempt++;
          } else if (System.nanoTime() > deadline) {
            throw new ApiException(
                409,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still running; retry shortly",
                1);
          } else {
            LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
          }
        }
      }
    }
    throw new ApiException(
        409,
        "idempotency_attempts_exhausted",
        "this Idempotency-Key failed " + MAX_ATTEMPTS + " times; use a new key");
  }

  private static FrameId frameId(JsonNode record) {
    String value = record.path("frameId").asText("");
    if (value.isEmpty()) {
      return null;
    }
    try {
      return FrameId.parse(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Records the answer of an owned attempt. */
  public void done(Claim claim, String bodyHash, JsonNode answer) throws StorageException {
    store.completeIdempotencyKey(
        claim.attemptKey(),
        JSON.createObjectNode()
            .put("state", "done")
            .put("bodySha256", bodyHash)
            .put("node", node)
            .put("finishedAt", clock.instant().toString())
            .set("answer", answer));
  }

  /**
   * Records that an owned attempt failed, so the next retry may run; it may have stored part of the
   * frame's objects, which the next attempt writes again under the same frame id.
   */
  public void failed(Claim claim, String bodyHash, int status, String code)
      throws StorageException {
    store.completeIdempotencyKey(
        claim.attemptKey(),
        JSON.createObjectNode()
            .put("state", "failed")
            .put("bodySha256", bodyHash)
            .put("node", node)
            .put("status", status)
            .put("code", code)
            .put("frameId", claim.frameId().value())
            .put("finishedAt", clock.instant().toString()));
  }

  private static Instant parse(String s) {
    try {
      return Instant.parse(s);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
