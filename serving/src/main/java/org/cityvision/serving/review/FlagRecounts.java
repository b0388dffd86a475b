package org.cityvision.serving.review;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.cityvision.core.storage.FlagRecount;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.metrics.Metrics;

/**
 * Keeps the store's maintained queue counts honest: every {@link #INTERVAL_SECONDS} one node (the
 * one that claims the slot's lease in the store) recounts the queue with {@link
 * FrameStore#recountFlags()}, which repairs counts that drifted when a node died between a change
 * and its count. Admins can run one at once with {@code POST /v1/flags/counts/recount}. Drift is
 * logged ({@code flag_counts_drift}) and counted in {@code /metrics}.
 *
 * <p>Thread-safe. The caller owns the store and the worker.
 */
public final class FlagRecounts {
  /** How often the queue is recounted, across all nodes together. */
  public static final long INTERVAL_SECONDS = 600;

  private static final String LEASE = "flag-recount";

  private final FrameStore store;
  private final Clock clock;
  private final String node;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong drift = new AtomicLong();

  public FlagRecounts(FrameStore store, Clock clock, String node) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.node = Objects.requireNonNull(node, "node");
  }

  /** Registers the recount counters in {@code metrics}. */
  public FlagRecounts measuredBy(Metrics metrics) {
    metrics.counter(
        "cityvision_flag_recounts",
        "Recounts of the review queue run on this node, by outcome "
            + "(skipped: the queue changed during each try).",
        "outcome",
        () -> Map.of("applied", applied.get(), "skipped", skipped.get(), "failed", failed.get()));
    metrics.gauge(
        "cityvision_flag_count_drift",
        "Flags the maintained counts were off by, summed over the "
            + "recounts this node applied (0 while the counts stay exact).",
        drift::get);
    return this;
  }

  /** Checks every minute whether this interval's recount is due and this node wins its lease. */
  public void schedule(Vertx vertx, WorkerExecutor worker) {
    vertx.setPeriodic(
        60_000,
        id -> {
          if (running.compareAndSet(false, true)) {
            worker
                .executeBlocking(
                    () -> {
                      long slot = clock.instant().getEpochSecond() / INTERVAL_SECONDS;
                      if (store.claimLease(
                          LEASE,
                          Long.toString(slot),
                          JsonNodeFactory.instance
                              .objectNode()
                              .put("node", node)
                              .put("claimedAt", clock.instant().toString()))) {
                        recountNow();
                      }
                      return null;
                    },
                    false)
                .onFailure(e -> JsonLog.get().warn("flag_recount_failed", "error", e.toString()))
                .onComplete(r -> running.set(false));
          }
        });
  }

  /** Recounts now (blocking: call on a worker), logging and counting what it found. */
  public FlagRecount recountNow() throws StorageException {
    FlagRecount r;
    try {
      r = store.recountFlags();
    } catch (StorageException | RuntimeException e) {
      failed.incrementAndGet();
      throw e;
    }
    if (r.applied()) {
      applied.incrementAndGet();
      drift.addAndGet(r.statusDrift());
      if (!r.drift().isEmpty()) {
        JsonLog.get()
            .warn(
                "flag_counts_drift",
                "drift",
                r.drift().toString(),
                "revision",
                r.after().revision());
      }
    } else {
      skipped.incrementAndGet();
      JsonLog.get().info("flag_recount_skipped", "reason", r.skipped());
    }
    return r;
  }
}
