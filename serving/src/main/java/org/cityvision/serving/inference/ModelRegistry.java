package org.cityvision.serving.inference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.config.InferenceConfig;
import org.cityvision.serving.log.JsonLog;

/**
 * The models this node serves, one per task, and which version of each. The store's live pointer
 * says which version should serve ({@link LiveModelMaintainer} follows it); the package folders the
 * node is configured with seed the store on first start and serve when the store cannot be read. A
 * task without any package is either an error (when models are required) or not served ({@code
 * model_unavailable}).
 *
 * <p>Versions are swapped under load: {@link #swap} replaces a task's version atomically and the
 * replaced version closes once the requests that leased it ({@link #lease}) are done.
 *
 * <p>Thread-safe. <b>Must be closed</b>: closing stops every classifier after it finishes the
 * images already queued.
 */
public final class ModelRegistry implements AutoCloseable {
  /**
   * What this node knows of the model serving a task.
   *
   * @param task the task
   * @param model the model's name in the store
   * @param served the version this node serves, or {@code null}
   * @param live the store's live version, or {@code null} when unknown (no pointer, store unread)
   * @param liveRevision the live pointer's revision, 0 when unknown
   * @param error why this node does not serve the live version, or {@code null}
   * @param swaps versions swapped in since start
   * @param failedSwaps attempts to load a live version that failed (download, checksum, load,
   *     warm-up)
   */
  public record Status(
      String task,
      String model,
      String served,
      String live,
      long liveRevision,
      String error,
      long swaps,
      long failedSwaps) {}

  private final ConcurrentMap<String, AtomicReference<ServedModel>> byTask =
      new ConcurrentHashMap<>();
  private final ConcurrentMap<String, AdmissionGate> gates = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, String> missing = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Status> statuses = new ConcurrentHashMap<>();
  private final InferenceConfig inference;
  private final ImageLimits limits;

  /** Leases taken by batch jobs, which hold a classifier for the whole job. */
  private final ConcurrentLinkedQueue<BatchLease> batchLeases = new ConcurrentLinkedQueue<>();

  private record BatchLease(ServedModel model, long atNanos) {}

  private final ExecutorService closer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "cityvision-model-closer");
            t.setDaemon(true);
            return t;
          });

  /** Whether the served classifiers keep each image's pooled features ({@code features.keep}). */
  private final boolean keepFeatures;

  private ModelRegistry(InferenceConfig inference, ImageLimits limits, boolean keepFeatures) {
    this.inference = inference;
    this.limits = limits;
    this.keepFeatures = keepFeatures;
  }

  /**
   * Loads the packages from their folders only, with no store. Blocking (seconds per model).
   *
   * @param packages task → package folder
   * @param required fail when a package is missing or does not load
   * @throws ModelException naming the task, the folder and what is wrong
   */
  public static ModelRegistry load(
      Map<String, Path> packages, boolean required, InferenceConfig inference, ImageLimits limits)
      throws ModelException {
    return open(packages, required, inference, limits, null, null, true);
  }

  /**
   * Seeds the store from the package folders, then loads each task's live version: from its folder
   * when the folder holds that version, else from a verified copy fetched into {@code cacheRoot}. A
   * task whose live version cannot be fetched or loaded serves its folder's package and says why in
   * its {@link Status}. When the store cannot be read, the folders serve. Blocking.
   *
   * @param store the model registry, or {@code null} to serve the folders only
   * @param cacheRoot where fetched packages are kept (ignored without a store)
   * @param keepFeatures whether each classification carries its pooled features, to be stored with
   *     its result ({@code features.keep})
   * @throws ModelException when a required task has no package that loads
   */
  public static ModelRegistry open(
      Map<String, Path> packages,
      boolean required,
      InferenceConfig inference,
      ImageLimits limits,
      ModelStore store,
      Path cacheRoot,
      boolean keepFeatures)
      throws ModelException {
    ModelRegistry registry = new ModelRegistry(inference, limits, keepFeatures);
    try {
      for (Map.Entry<String, Path> e : packages.entrySet()) {
        registry.start(e.getKey(), e.getValue(), required, store, cacheRoot);
      }
    } catch (ModelException | RuntimeException e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  private void start(String task, Path dir, boolean required, ModelStore store, Path cacheRoot)
      throws ModelException {
    ModelPackage local = null;
    if (Files.isRegularFile(dir.resolve(ModelPackage.SPEC_FILE))) {
      local = ModelPackage.read(dir);
      requireTask(local, task);
    }
    String name = local != null ? local.spec().name() : task;
    LivePointer live = null;
    String error = null;
    boolean failed = false;
    if (store != null) {
      try {
        if (local != null && store.seed(local).isPresent()) {
          JsonLog.get().info("model_seeded", "model", name, "version", local.spec().version());
        }
        live = store.live(name).orElse(null);
      } catch (StorageException | RuntimeException e) {
        error = "cannot read the live version from the store: " + e.getMessage();
        JsonLog.get()
            .warn("model_store_unreadable", "task", task, "model", name, "error", e.getMessage());
      }
    }
    ServedModel served = null;
    if (live != null && (local == null || !live.version().equals(local.spec().version()))) {
      try {
        ModelPackage fetched = ModelPackage.read(store.fetch(name, live.version(), cacheRoot));
        requireTask(fetched, task);
        served = open(task, fetched);
      } catch (StorageException | ModelException | RuntimeException e) {
        error = "cannot serve live version " + live.version() + ": " + e.getMessage();
        failed = true;
        JsonLog.get()
            .warn(
                "model_live_unloadable",
                "task",
                task,
                "model",
                name,
                "version",
                live.version(),
                "error",
                e.getMessage());
        if (local == null && required) {
          throw new ModelException("task '" + task + "': " + error, e);
        }
      }
    }
    if (served == null && local != null) {
      served = open(task, local);
    }
    if (served == null) {
      String why =
          "no model package for task '"
              + task
              + "' at "
              + dir
              + " (no "
              + ModelPackage.SPEC_FILE
              + ")"
              + (store == null ? "" : " and no live version of model '" + name + "' in the store");
      if (required) {
        throw new ModelException(
            why
                + "; train or install it, point models."
                + task
                + " (CITYVISION_MODELS_"
                + task.toUpperCase(Locale.ROOT)
                + ") at a package, or set models.required=false to serve without it");
      }
      missing.put(task, why);
      JsonLog.get().warn("model_missing", "task", task, "dir", dir.toString());
    } else {
      byTask.put(task, new AtomicReference<>(served));
    }
    statuses.put(
        task,
        new Status(
            task,
            name,
            served == null ? null : served.version(),
            live == null ? null : live.version(),
            live == null ? 0 : live.revision(),
            error,
            0,
            failed ? 1 : 0));
  }

  private static void requireTask(ModelPackage pkg, String task) throws ModelException {
    if (!pkg.spec().task().equals(task)) {
      throw new ModelException(
          "model package "
              + pkg.dir()
              + " answers task '"
              + pkg.spec().task()
              + "', not '"
              + task
              + "'");
    }
  }

  /**
   * Opens a version for a task (blocking: load and warm-up); it serves once {@link #swap}ped in.
   */
  ServedModel open(String task, ModelPackage pkg) throws ModelException {
    long t0 = System.nanoTime();
    Classifier classifier =
        Classifier.open(pkg, inference.classifierOptions(limits).withFeatures(keepFeatures));
    AdmissionGate gate = gates.computeIfAbsent(task, t -> new AdmissionGate(inference.admitted()));
    JsonLog.get()
        .info(
            "model_loaded",
            "task",
            task,
            "model",
            pkg.spec().name(),
            "version",
            pkg.spec().version(),
            "ms",
            (System.nanoTime() - t0) / 1_000_000);
    return new ServedModel(task, pkg, classifier, gate, closer);
  }

  /**
   * Makes {@code next} serve its task at once; the version it replaces closes when its last lease
   * is released.
   */
  void swap(ServedModel next) {
    String task = next.task();
    AtomicReference<ServedModel> slot = byTask.computeIfAbsent(task, t -> new AtomicReference<>());
    ServedModel old = slot.getAndSet(next);
    missing.remove(task);
    statuses.compute(
        task,
        (t, s) ->
            s == null
                ? new Status(
                    task, next.spec().name(), next.version(), next.version(), 0, null, 1, 0)
                : new Status(
                    task,
                    s.model(),
                    next.version(),
                    s.live(),
                    s.liveRevision(),
                    null,
                    s.swaps() + 1,
                    s.failedSwaps()));
    JsonLog.get()
        .info(
            "model_swapped",
            "task",
            task,
            "model",
            next.spec().name(),
            "version",
            next.version(),
            "replaced",
            old == null ? "" : old.version());
    if (old != null) {
      old.retire();
    }
  }

  /**
   * Records what the store says is live for a task, and why this node does not serve it (or null).
   */
  void follow(String task, String live, long revision, String error, boolean failedSwap) {
    statuses.computeIfPresent(
        task,
        (t, s) ->
            new Status(
                t,
                s.model(),
                s.served(),
                live,
                revision,
                error,
                s.swaps(),
                s.failedSwaps() + (failedSwap ? 1 : 0)));
  }

  /**
   * The version serving a task now, for reading what it is; use {@link #lease} to classify with it.
   */
  public Optional<ServedModel> task(String task) {
    AtomicReference<ServedModel> slot = byTask.get(task);
    return slot == null ? Optional.empty() : Optional.ofNullable(slot.get());
  }

  /**
   * The version serving a task now, leased: its classifier stays open until the caller calls {@link
   * ServedModel#release()} (exactly once), even if another version replaces it meanwhile.
   */
  public Optional<ServedModel> lease(String task) {
    AtomicReference<ServedModel> slot = byTask.get(task);
    if (slot == null) {
      return Optional.empty();
    }
    while (true) {
      ServedModel m = slot.get();
      if (m == null) {
        return Optional.empty();
      }
      if (m.tryAcquire()) {
        return Optional.of(m);
      }
      // Replaced and closed between the read and the lease: the slot holds its successor.
    }
  }

  /**
   * The classifier serving a task now, for a batch job, which uses it for the whole job: a job runs
   * on the version it started with, however often versions change meanwhile. The lease is released
   * by {@link #releaseIdleBatchLeases} once no job runs.
   */
  public Optional<Classifier> leaseForBatch(String task) {
    Optional<ServedModel> m = lease(task);
    m.ifPresent(model -> batchLeases.add(new BatchLease(model, System.nanoTime())));
    return m.map(ServedModel::classifier);
  }

  /**
   * Releases the batch leases taken more than {@code minAge} ago when no batch job runs on this
   * node (a job takes its classifier and registers as running within milliseconds, so {@code
   * minAge} keeps a starting job's lease).
   */
  public void releaseIdleBatchLeases(boolean jobsRunning, Duration minAge) {
    if (jobsRunning) {
      return;
    }
    long now = System.nanoTime();
    batchLeases.removeIf(
        l -> {
          if (now - l.atNanos() < minAge.toNanos()) {
            return false;
          }
          l.model().release();
          return true;
        });
  }

  /** By model name (names and tasks usually coincide). */
  public Optional<ServedModel> named(String name) {
    return all().stream().filter(m -> m.spec().name().equals(name)).findFirst();
  }

  /** The versions serving now, by task. */
  public Collection<ServedModel> all() {
    List<ServedModel> out = new ArrayList<>();
    byTask
        .values()
        .forEach(
            slot -> {
              ServedModel m = slot.get();
              if (m != null) {
                out.add(m);
              }
            });
    out.sort(Comparator.comparing(ServedModel::task));
    return out;
  }

  /** Tasks configured but not served, with why. */
  public Map<String, String> missing() {
    return Map.copyOf(missing);
  }

  /** What this node knows of each configured task's model, by task (sorted). */
  public Map<String, Status> statuses() {
    Map<String, Status> out = new LinkedHashMap<>();
    statuses.keySet().stream().sorted().forEach(t -> out.put(t, statuses.get(t)));
    return out;
  }

  /** The status of the task whose model has this name, if this node follows it. */
  public Optional<Status> statusOfModel(String name) {
    return statuses.values().stream().filter(s -> s.model().equals(name)).findFirst();
  }

  @Override
  public void close() {
    releaseIdleBatchLeases(false, Duration.ZERO);
    for (AtomicReference<ServedModel> slot : byTask.values()) {
      ServedModel m = slot.getAndSet(null);
      if (m != null) {
        m.retire();
      }
    }
    closer.shutdown();
    try {
      if (!closer.awaitTermination(60, TimeUnit.SECONDS)) {
        JsonLog.get().warn("model_close_timeout", "seconds", 60);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
