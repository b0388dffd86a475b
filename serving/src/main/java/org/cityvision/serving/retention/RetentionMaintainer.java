package org.cityvision.serving.retention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.RetentionReport;
import org.cityvision.serving.config.RetentionConfig;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.metrics.Metrics;

/**
 * Runs the store's retention pass on a schedule inside {@code serve}: time is cut into slots of
 * {@code retention.intervalSeconds}, and in each slot the first node to claim the slot's lease in
 * the shared store (a create-if-absent write) runs one pass; the others skip it. Every node checks
 * at start and then at least once a minute, so a pass runs early in each slot as long as one node
 * is up. A pass that outlasts its slot keeps later slots' winners waiting (a heartbeat in the
 * store, refreshed every 10 s); a pass killed with its node stops beating, and the first slot after
 * {@link #STALE} runs a new pass, which finishes the work.
 *
 * <p>The pass runs on a thread of its own, never on the event loop or the request workers. Owns its
 * timer and thread; undeploying stops both (a pass in progress is abandoned mid-way, which is
 * safe).
 */
public final class RetentionMaintainer extends VerticleBase {
  /** The lease name in the store: {@code system/leases/retention/{slot}.json}. */
  public static final String LEASE = "retention";

  /** The record of the pass in progress (or the last one), with its heartbeat. */
  private static final String CURRENT = "current";

  /** A pass whose heartbeat is older than this died with its node. */
  static final Duration STALE = Duration.ofMinutes(10);

  private static final DateTimeFormatter SLOT =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final RetentionConfig config;
  private final FrameStore store;
  private final Metrics metrics;
  private final String node;
  private final Clock clock;
  private final AtomicBoolean busy = new AtomicBoolean();
  private ExecutorService thread;
  private long timer = -1;
  private volatile long lastSlot = Long.MIN_VALUE;

  public RetentionMaintainer(
      RetentionConfig config, FrameStore store, Metrics metrics, String node, Clock clock) {
    this.config = config;
    this.store = store;
    this.metrics = metrics;
    this.node = node;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cityvision-retention");
              t.setDaemon(true);
              return t;
            });
    long checkMs = Math.min(60_000, Math.max(250, config.intervalSeconds() * 1000 / 4));
    timer = vertx.setPeriodic(1, checkMs, id -> check());
    return Future.succeededFuture();
  }

  /** The name of the slot {@code at} falls in: its start, as {@code yyyyMMddTHHmmssZ}. */
  public static String slotName(Instant at, long intervalSeconds) {
    return SLOT.format(
        Instant.ofEpochSecond(at.getEpochSecond() / intervalSeconds * intervalSeconds));
  }

  /**
   * Claims the current slot's lease if this node has not tried it yet, and runs a pass if it won.
   */
  private void check() {
    long slot = clock.instant().getEpochSecond() / config.intervalSeconds();
    if (slot == lastSlot || !busy.compareAndSet(false, true)) {
      return;
    }
    thread.execute(
        () -> {
          try {
            String name =
                slotName(
                    Instant.ofEpochSecond(slot * config.intervalSeconds()),
                    config.intervalSeconds());
            boolean won =
                store.claimLease(
                    LEASE,
                    name,
                    JsonNodeFactory.instance
                        .objectNode()
                        .put("node", node)
                        .put("claimedAt", clock.instant().toString()));
            lastSlot = slot;
            if (won && !stillRunningElsewhere(name)) {
              run(name);
            }
          } catch (Exception e) {
            // The store is down or refused: try this slot again at the next check.
            JsonLog.get().warn("retention_lease_failed", "error", e.toString());
          } finally {
            busy.set(false);
          }
        });
  }

  /**
   * Whether the pass of an earlier slot is still running (its heartbeat in the {@code current}
   * record is fresh): a pass may outlast its slot, and two passes at once only repeat work. A pass
   * whose node died stops beating and is ignored after {@link #STALE}.
   */
  private boolean stillRunningElsewhere(String slot) throws Exception {
    Optional<JsonNode> current = store.lease(LEASE, CURRENT);
    if (current.isEmpty() || current.get().path("finished").asBoolean(true)) {
      return false;
    }
    Instant beat =
        Instant.parse(current.get().path("heartbeatAt").asText(Instant.EPOCH.toString()));
    if (beat.plus(STALE).isBefore(clock.instant())) {
      return false;
    }
    JsonLog.get()
        .info(
            "retention_skipped",
            "slot",
            slot,
            "running",
            current.get().path("slot").asText(),
            "on",
            current.get().path("node").asText());
    return true;
  }

  private void beat(String slot, Instant started, boolean finished) {
    try {
      store.putLease(
          LEASE,
          CURRENT,
          JsonNodeFactory.instance
              .objectNode()
              .put("slot", slot)
              .put("node", node)
              .put("startedAt", started.toString())
              .put("heartbeatAt", clock.instant().toString())
              .put("finished", finished));
    } catch (Exception e) {
      JsonLog.get().warn("retention_heartbeat_failed", "error", e.toString());
    }
  }

  private void run(String slot) {
    long t0 = System.nanoTime();
    Instant started = clock.instant();
    beat(slot, started, false);
    JsonLog.get()
        .info(
            "retention_started",
            "slot",
            slot,
            "node",
            node,
            "frameDays",
            config.frameDays(),
            "reviewedFlagDays",
            config.reviewedFlagDays());
    metrics.retentionStarted();
    long[] lastLog = {System.nanoTime()};
    try {
      RetentionReport report =
          store.applyRetention(
              config.policy(),
              clock.instant(),
              config.chunkSize(),
              false,
              soFar -> {
                metrics.retentionProgress(soFar);
                if (System.nanoTime() - lastLog[0] > 10_000_000_000L) {
                  lastLog[0] = System.nanoTime();
                  beat(slot, started, false);
                  JsonLog.get()
                      .info(
                          "retention_progress",
                          "slot",
                          slot,
                          "scanned",
                          soFar.framesScanned(),
                          "framesDeleted",
                          soFar.framesDeleted());
                }
              });
      metrics.retentionFinished(report, clock.instant());
      beat(slot, started, true);
      JsonLog.get()
          .info(
              "retention_done",
              "slot",
              slot,
              "ms",
              (System.nanoTime() - t0) / 1_000_000,
              "scanned",
              report.framesScanned(),
              "framesDeleted",
              report.framesDeleted(),
              "flagsDeleted",
              report.flagsDeleted(),
              "keptOpenFlags",
              report.keptOpenFlags(),
              "keptSpooled",
              report.keptSpooled(),
              "idempotencyDeleted",
              report.idempotencyDeleted(),
              "orphanThumbnailsDeleted",
              report.orphanThumbnailsDeleted());
    } catch (Exception e) {
      beat(slot, started, true);
      metrics.retentionFailed();
      JsonLog.get().error("retention_failed", e, "slot", slot);
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    if (thread != null) {
      thread.shutdownNow();
    }
    return Future.succeededFuture();
  }
}
