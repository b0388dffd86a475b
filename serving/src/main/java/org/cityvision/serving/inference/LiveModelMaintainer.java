package org.cityvision.serving.inference;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.NodeReport;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.serving.log.JsonLog;

/**
 * Keeps this node serving each model's live version: every {@code models.watchMs} it reads the live
 * pointers from the store, and when one names a version this node does not serve, it fetches that
 * version (verified against its manifest), loads and warms it up on its own thread, off the request
 * path, and swaps it in ({@link ModelRegistry#swap}); requests in flight finish on the version they
 * started with. A version that cannot be fetched or loaded is not served: the node keeps the
 * version it has, reports why in its {@link ModelRegistry.Status} (and so in {@code /health/ready}
 * and {@code /metrics}), and tries that version again after {@link #RETRY_FAILED}.
 *
 * <p>Owns its thread. Thread-safe; <b>close it</b> before the registry and the store.
 */
public final class LiveModelMaintainer implements AutoCloseable {
  /** How long a version that failed to load waits before this node tries it again. */
  static final Duration RETRY_FAILED = Duration.ofSeconds(30);

  /** See {@link ModelRegistry#releaseIdleBatchLeases}. */
  static final Duration BATCH_LEASE_MIN_AGE = Duration.ofSeconds(5);

  /** How often a node rewrites its report when nothing changed. */
  public static final Duration REPORT_EVERY = Duration.ofSeconds(30);

  private record Failure(String version, long atNanos, String error) {}

  private final ModelRegistry registry;
  private final ModelStore store;
  private final Path cacheRoot;
  private final long intervalNanos;
  private final BooleanSupplier batchJobsRunning;
  private final String nodeId;

  /** The last report written per task (maintainer thread only). */
  private final Map<String, NodeReport> reported = new HashMap<>();

  /** Touched by the maintainer thread only (and by {@link #check} callers that own no thread). */
  private final Map<String, Failure> failures = new HashMap<>();

  private final Thread thread;
  private volatile boolean stopped;

  /** Run after each pass, on the maintainer thread ({@link #afterEachPass}). */
  private final List<Runnable> afterPass = new CopyOnWriteArrayList<>();

  private LiveModelMaintainer(
      ModelRegistry registry,
      ModelStore store,
      Path cacheRoot,
      long intervalMs,
      BooleanSupplier batchJobsRunning,
      String nodeId) {
    this.registry = registry;
    this.nodeId = nodeId;
    this.batchJobsRunning = batchJobsRunning;
    this.store = store;
    this.cacheRoot = cacheRoot;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    this.thread = new Thread(this::loop, "cityvision-model-maintainer");
    this.thread.setDaemon(true);
  }

  /**
   * Starts following the store.
   *
   * @param cacheRoot where fetched packages are kept (under the node's data directory)
   * @param intervalMs how often the live pointers are read
   * @param batchJobsRunning whether a batch job runs on this node (replaced versions that jobs
   *     started with close once none runs)
   * @param nodeId this node's id in the reports it writes to the store ({@link #nodeId(Path)})
   */
  public static LiveModelMaintainer start(
      ModelRegistry registry,
      ModelStore store,
      Path cacheRoot,
      long intervalMs,
      BooleanSupplier batchJobsRunning,
      String nodeId) {
    LiveModelMaintainer m =
        new LiveModelMaintainer(registry, store, cacheRoot, intervalMs, batchJobsRunning, nodeId);
    m.thread.start();
    return m;
  }

  private void loop() {
    // The registry has just read the live versions; the first check waits one interval, which keeps
    // the store quiet while the node warms up.
    LockSupport.parkNanos(intervalNanos);
    while (!stopped) {
      try {
        check();
      } catch (RuntimeException e) {
        JsonLog.get().error("model_watch_failed", e);
      }
      LockSupport.parkNanos(intervalNanos);
    }
  }

  /** One pass over the followed models. */
  synchronized void check() {
    registry.releaseIdleBatchLeases(batchJobsRunning.getAsBoolean(), BATCH_LEASE_MIN_AGE);
    for (ModelRegistry.Status s : registry.statuses().values()) {
      if (stopped) {
        return;
      }
      LivePointer live;
      try {
        live = store.live(s.model()).orElse(null);
      } catch (StorageException | RuntimeException e) {
        registry.follow(
            s.task(),
            s.live(),
            s.liveRevision(),
            "cannot read the live version from the store: " + e.getMessage(),
            false);
        continue;
      }
      if (live == null) {
        live = seed(s).orElse(null);
      }
      if (live == null || live.version().equals(s.served())) {
        failures.remove(s.task());
        registry.follow(
            s.task(),
            live == null ? null : live.version(),
            live == null ? 0 : live.revision(),
            null,
            false);
        continue;
      }
      Failure failed = failures.get(s.task());
      if (failed != null
          && failed.version().equals(live.version())
          && System.nanoTime() - failed.atNanos() < RETRY_FAILED.toNanos()) {
        registry.follow(s.task(), live.version(), live.revision(), failed.error(), false);
        continue;
      }
      swapIn(s, live);
    }
    report();
    afterPass.forEach(
        task -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            JsonLog.get().error("model_watch_task_failed", e);
          }
        });
  }

  /**
   * Runs {@code task} after each pass over the live pointers, on the maintainer's thread, so that
   * what else follows the store (shadow runs) is read at the same pace. Blocking work is fine; it
   * delays the next pass.
   */
  public void afterEachPass(Runnable task) {
    afterPass.add(Objects.requireNonNull(task, "task"));
  }

  /**
   * Writes this node's report of each model when what it serves, the live version it read or its
   * error changed, and at least every {@link #REPORT_EVERY} so that a report's age tells a stopped
   * node. A failed write is retried at the next pass.
   */
  private void report() {
    Instant now = Instant.now();
    for (ModelRegistry.Status s : registry.statuses().values()) {
      NodeReport last = reported.get(s.task());
      NodeReport next =
          new NodeReport(nodeId, s.model(), s.task(), s.served(), s.live(), s.error(), now);
      boolean same =
          last != null
              && Objects.equals(last.served(), next.served())
              && Objects.equals(last.live(), next.live())
              && Objects.equals(last.error(), next.error());
      if (same && last.at().plus(REPORT_EVERY).isAfter(now)) {
        continue;
      }
      try {
        store.report(next);
        reported.put(s.task(), next);
      } catch (StorageException | RuntimeException e) {
        reported.remove(s.task());
      }
    }
  }

  /**
   * A node id that stays the same across restarts of one installation: the host name and a digest
   * of the data directory (one process per data directory), as a store key segment.
   */
  public static String nodeId(Path data) {
    String runtime = ManagementFactory.getRuntimeMXBean().getName();
    String host = runtime.substring(runtime.indexOf('@') + 1).replaceAll("[^A-Za-z0-9_.-]", "-");
    host = host.length() > 40 ? host.substring(0, 40) : host;
    String digest =
        StorageKeys.sha256Hex(
                data.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8))
            .substring(0, 12);
    return (host.isEmpty() || host.startsWith(".") ? "node" : host) + "-" + digest;
  }

  /**
   * A model with no live version yet (the store was unreachable when this node started, or the
   * pointer was never written) is seeded from the package this node serves, as at a first start.
   */
  private Optional<LivePointer> seed(ModelRegistry.Status s) {
    Optional<ServedModel> served = registry.task(s.task());
    if (served.isEmpty()) {
      return Optional.empty();
    }
    try {
      Optional<LivePointer> seeded = store.seed(served.get().pkg());
      seeded.ifPresent(
          p -> JsonLog.get().info("model_seeded", "model", p.model(), "version", p.version()));
      return seeded.isPresent() ? seeded : store.live(s.model());
    } catch (StorageException | RuntimeException e) {
      registry.follow(s.task(), null, 0, "cannot seed the store: " + e.getMessage(), false);
      return Optional.empty();
    }
  }

  private void swapIn(ModelRegistry.Status s, LivePointer live) {
    long t0 = System.nanoTime();
    try {
      ModelPackage pkg = ModelPackage.read(store.fetch(s.model(), live.version(), cacheRoot));
      if (!pkg.spec().name().equals(s.model())
          || !pkg.spec().version().equals(live.version())
          || !pkg.spec().task().equals(s.task())) {
        throw new ModelException(
            "the package stored as "
                + s.model()
                + " "
                + live.version()
                + " says it is "
                + pkg.spec().name()
                + " "
                + pkg.spec().version()
                + " for task "
                + pkg.spec().task());
      }
      ServedModel next = registry.open(s.task(), pkg);
      if (stopped) {
        next.retire();
        return;
      }
      registry.follow(s.task(), live.version(), live.revision(), null, false);
      registry.swap(next);
      failures.remove(s.task());
      JsonLog.get()
          .info(
              "model_live_followed",
              "task",
              s.task(),
              "model",
              s.model(),
              "version",
              live.version(),
              "revision",
              live.revision(),
              "ms",
              (System.nanoTime() - t0) / 1_000_000);
    } catch (StorageException | ModelException | RuntimeException e) {
      String error = "cannot serve live version " + live.version() + ": " + e.getMessage();
      failures.put(s.task(), new Failure(live.version(), System.nanoTime(), error));
      registry.follow(s.task(), live.version(), live.revision(), error, true);
      JsonLog.get()
          .warn(
              "model_swap_failed",
              "task",
              s.task(),
              "model",
              s.model(),
              "version",
              live.version(),
              "serving",
              s.served() == null ? "" : s.served(),
              "error",
              e.getMessage());
    }
  }

  @Override
  public void close() {
    stopped = true;
    LockSupport.unpark(thread);
    try {
      // A swap in progress finishes its load (seconds) and is then dropped.
      thread.join(TimeUnit.SECONDS.toMillis(120));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
