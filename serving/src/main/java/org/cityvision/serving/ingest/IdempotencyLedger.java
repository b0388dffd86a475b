package org.cityvision.serving.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.http.ApiException;

/**
 * {@code Idempotency-Key} records in the shared store, so that a retry on any node gets the first
 * answer and stores no second frame.
 *
 * <p>Each request's key is scoped to its camera and goes through numbered attempts, each claimed
 * with the store's create-if-absent primitive: a claim that wins runs the request and records
 * {@code done} with the answer, or {@code failed} (nothing stored; the next retry claims the next
 * attempt). A claim that loses reads the record: {@code done} is replayed; {@code in_progress}
 * is waited for (another node may be running it) up to a bound, then answered 409; an {@code
 * in_progress} record older than {@code staleAfter} belongs to a node that died, and the next
 * attempt is claimed. A key reused with a different body is refused (400).
 *
 * <p>Blocking (store calls and short waits): call from a worker thread. Thread-safe.
 */
public final class IdempotencyLedger {
  static final int MAX_ATTEMPTS = 8;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FrameStore store;
  private final Clock clock;
  private final Duration wait;
  private final Duration staleAfter;
  private final String node;

  public IdempotencyLedger(FrameStore store, Clock clock, Duration wait, Duration staleAfter, String node) {
    this.store = store;
    this.clock = clock;
    this.wait = wait;
    this.staleAfter = staleAfter;
    this.node = node;
  }

  /** What a claim decided: run the request under {@code attemptKey}, or replay {@code answer}. */
  public record Claim(String attemptKey, JsonNode answer) {
    public boolean owned() {
      return answer == null;
    }
  }

  /**
   * Claims the key for a request whose body hashes to {@code bodyHash}.
   *
   * @throws ApiException 409 {@code idempotency_in_progress} when another request with the key is
   *     still running after the wait; 400 {@code idempotency_key_reused} for a different body
   */
  public Claim claim(String scope, String clientKey, String bodyHash) throws StorageException {
    long deadline = System.nanoTime() + wait.toNanos();
    int attempt = 1;
    while (attempt <= MAX_ATTEMPTS) {
      String attemptKey = scope + "/" + clientKey + "#" + attempt;
      ObjectNode mine = JSON.createObjectNode().put("state", "in_progress").put("bodySha256", bodyHash)
          .put("node", node).put("startedAt", clock.instant().toString());
      Optional<JsonNode> existing = store.claimIdempotencyKey(attemptKey, mine);
      if (existing.isEmpty()) {
        return new Claim(attemptKey, null);
      }
      JsonNode record = existing.get();
      if (!bodyHash.equals(record.path("bodySha256").asText())) {
        throw ApiException.badRequest("idempotency_key_reused",
            "this Idempotency-Key was used for a different frame; use a new key for a new frame");
      }
      switch (record.path("state").asText()) {
        case "done" -> {
          return new Claim(attemptKey, record.path("answer"));
        }
        case "failed" -> attempt++;
        default -> {
          Instant started = parse(record.path("startedAt").asText());
          if (started == null || started.plus(staleAfter).isBefore(clock.instant())) {
            attempt++;
          } else if (System.nanoTime() > deadline) {
            throw new ApiException(409, "idempotency_in_progress",
                "a request with this Idempotency-Key is still running; retry shortly", 1);
          } else {
            LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
          }
        }
      }
    }
    throw new ApiException(409, "idempotency_attempts_exhausted",
        "this Idempotency-Key failed " + MAX_ATTEMPTS + " times; use a new key");
  }

  /** Records the answer of an owned attempt. */
  public void done(Claim claim, String bodyHash, JsonNode answer) throws StorageException {
    store.completeIdempotencyKey(claim.attemptKey(), JSON.createObjectNode().put("state", "done")
        .put("bodySha256", bodyHash).put("node", node).put("finishedAt", clock.instant().toString())
        .set("answer", answer));
  }

  /** Records that an owned attempt stored nothing, so the next retry may run. */
  public void failed(Claim claim, String bodyHash, int status, String code) throws StorageException {
    store.completeIdempotencyKey(claim.attemptKey(), JSON.createObjectNode().put("state", "failed")
        .put("bodySha256", bodyHash).put("node", node).put("status", status).put("code", code)
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
