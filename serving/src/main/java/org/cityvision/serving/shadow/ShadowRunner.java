package org.cityvision.serving.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.config.ShadowConfig;
import org.cityvision.serving.inference.Inference;
import org.cityvision.serving.inference.ModelRegistry;
import org.cityvision.serving.inference.ServedModel;
import org.cityvision.serving.inference.ShadowSampler;
import org.cityvision.serving.log.JsonLog;

/**
 * Runs this node's share of the shadow runs in the store: for each model with an active run ({@link
 * ShadowRun}), it loads the candidate's package from the store into a classifier of its own (one
 * inference worker, batches of one, a queue of two: it never touches the live predictors) and
 * classifies a {@code rate} sample of the live answers with it.
 *
 * <p>Strictly off the request path: {@link #answered} draws the sample and offers the image to a
 * bounded queue ({@code shadow.queue}); when the queue is full the sample is dropped and counted,
 * never waited for. One worker thread takes the images, decodes them and waits for the candidate's
 * answer, so the shadow never uses more than one core. Each comparison goes into this node's {@link
 * ShadowTally}, which the worker writes to the store every {@code shadow.reportMs} (and when the
 * run ends), where {@link ShadowReport} adds up every node's.
 *
 * <p>Which runs are active is read from the store at every pass of the live-model maintainer
 * ({@link #refresh}); a run whose candidate became the live version ends there (promote ends the
 * shadow). A candidate this node cannot load is not run; {@link #status} says why ({@code
 * /health/ready}) and the worker tries again after {@link #RETRY_FAILED}.
 *
 * <p>Owns its thread and the candidates' classifiers. Thread-safe; <b>close it</b> before the
 * store.
 */
public final class ShadowRunner implements ShadowSampler, AutoCloseable {
  /** How long a candidate that failed to load waits before this node tries it again. */
  static final Duration RETRY_FAILED = Duration.ofSeconds(30);

  /** One sampled answer waiting for the candidate. */
  private record Sample(
      String model, String candidate, String live, byte[] image, String frameId) {}

  /** A candidate this node has loaded for a run. */
  private record Loaded(ShadowRun run, Classifier classifier, ShadowTally tally) {}

  private record Failure(String candidate, String version, String error, long atNanos) {}

  /** What {@code /health/ready} says of a model's shadow run on this node. */
  public record Status(String candidate, String version, boolean loaded, String error) {}

  private final ModelRegistry registry;
  private final ModelStore store;
  private final Path cacheRoot;
  private final ShadowConfig config;
  private final ClassifierOptions options;
  private final String nodeId;
  private final Clock clock;
  private final BlockingQueue<Sample> samples;

  /** The active run per model name, as last read from the store. */
  private volatile Map<String, ShadowRun> wanted = Map.of();

  /** The candidates loaded, per model name (written by the worker only). */
  private final ConcurrentMap<String, Loaded> ready = new ConcurrentHashMap<>();

  private final ConcurrentMap<String, Failure> failures = new ConcurrentHashMap<>();

  /** Every tally this node kept since it started, by model and candidate (for {@code /metrics}). */
  private final ConcurrentMap<List<String>, ShadowTally> tallies = new ConcurrentHashMap<>();

  /** Models whose runs could not be read at the last pass (logged once until they can be again). */
  private final Set<String> unreadable = ConcurrentHashMap.newKeySet();

  private final Thread worker;
  private volatile boolean stopped;
  private long lastReport = System.nanoTime();

  private ShadowRunner(
      ModelRegistry registry,
      ModelStore store,
      Path cacheRoot,
      ShadowConfig config,
      ClassifierOptions liveOptions,
      String nodeId,
      Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.store = Objects.requireNonNull(store, "store");
    this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot");
    this.config = Objects.requireNonNull(config, "config");
    this.options = liveOptions.withWorkers(1).withBatching(1, Duration.ZERO).withQueueCapacity(2);
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.samples = new ArrayBlockingQueue<>(config.queue());
    this.worker = new Thread(this::loop, "cityvision-shadow");
    this.worker.setDaemon(true);
  }

  /**
   * Starts the worker; it runs nothing until {@link #refresh} finds an active run.
   *
   * @param liveOptions the live classifiers' options (torch threads, image limits, warm-up), of
   *     which the candidates' classifiers keep all but the worker count, batching and queue
   * @param nodeId this node's id in the store ({@code LiveModelMaintainer.nodeId})
   */
  public static ShadowRunner start(
      ModelRegistry registry,
      ModelStore store,
      Path cacheRoot,
      ShadowConfig config,
      ClassifierOptions liveOptions,
      String nodeId,
      Clock clock) {
    ShadowRunner r =
        new ShadowRunner(registry, store, cacheRoot, config, liveOptions, nodeId, clock);
    r.worker.start();
    return r;
  }

  /**
   * Reads the active shadow runs of the models this node serves from the store, and ends a run
   * whose candidate is now the live version. Blocking (store reads); the live-model maintainer
   * calls it after each pass. A model whose runs cannot be read keeps the run it had.
   */
  public void refresh() {
    Map<String, ShadowRun> next = new HashMap<>();
    Map<String, ShadowRun> before = wanted;
    for (ServedModel m : registry.all()) {
      String name = m.spec().name();
      try {
        String live =
            registry.statusOfModel(name).map(ModelRegistry.Status::live).orElse(m.version());
        for (JsonNode state : store.shadows(name)) {
          ShadowRun run = ShadowRun.of(state);
          if (!run.active()) {
            continue;
          }
          if (run.version().equals(live) || run.version().equals(m.version())) {
            store.putShadow(
                name,
                run.candidate(),
                run.ended(clock.instant(), "promotion", "the candidate became the live version"));
            JsonLog.get()
                .info(
                    "shadow_ended", "model", name, "candidate", run.candidate(), "why", "promoted");
            continue;
          }
          ShadowRun other = next.get(name);
          if (other == null || other.since().isBefore(run.since())) {
            next.put(name, run);
          }
        }
      } catch (StorageException | RuntimeException e) {
        ShadowRun kept = before.get(name);
        if (kept != null) {
          next.put(name, kept);
        }
        if (unreadable.add(name)) {
          JsonLog.get()
              .warn(
                  "shadow_refresh_failed", "model", name, "error", String.valueOf(e.getMessage()));
        }
        continue;
      }
      unreadable.remove(name);
    }
    wanted = Map.copyOf(next);
    LockSupport.unpark(worker);
  }

  @Override
  public void answered(Inference answered, byte[] image, String frameId) {
    String model = answered.model().spec().name();
    Loaded l = ready.get(model);
    if (l == null
        || stopped
        || l.run().version().equals(answered.model().version())
        || ThreadLocalRandom.current().nextDouble() >= l.run().rate()) {
      return;
    }
    if (!samples.offer(
        new Sample(
            model, l.run().candidate(), answered.classification().label(), image, frameId))) {
      l.tally().drop();
    }
  }

  /**
   * Each run on this node, by model name: whether its candidate is loaded, or why not. A run that
   * ended shows until the node has written its last comparisons and unloaded the candidate.
   */
  public Map<String, Status> status() {
    Map<String, Status> out = new TreeMap<>();
    ready.forEach(
        (model, l) ->
            out.put(model, new Status(l.run().candidate(), l.run().version(), true, null)));
    wanted.forEach(
        (model, run) -> {
          Loaded l = ready.get(model);
          boolean loaded = l != null && l.run().candidate().equals(run.candidate());
          Failure f = failures.get(model);
          String error =
              !loaded && f != null && f.candidate().equals(run.candidate()) ? f.error() : null;
          out.put(model, new Status(run.candidate(), run.version(), loaded, error));
        });
    return out;
  }

  /**
   * This node's counts since it started, per [model, candidate]: {@code compared}, {@code agreed}
   * or {@code dropped}.
   */
  public Map<List<String>, Long> counts(String which) {
    Map<List<String>, Long> out = new HashMap<>();
    tallies.forEach(
        (key, t) ->
            out.put(
                key,
                switch (which) {
                  case "compared" -> t.compared();
                  case "agreed" -> t.agreed();
                  case "dropped" -> t.dropped();
                  default -> throw new IllegalArgumentException("no shadow count '" + which + "'");
                }));
    return out;
  }

  private void loop() {
    TorchRuntime.inferenceThread();
    while (!stopped) {
      try {
        reconcile();
        Sample s = samples.poll(200, TimeUnit.MILLISECONDS);
        if (s != null) {
          compare(s);
        }
        if (System.nanoTime() - lastReport >= TimeUnit.MILLISECONDS.toNanos(config.reportMs())) {
          report(false);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        JsonLog.get().error("shadow_worker_failed", e);
      }
    }
    report(true);
    ready.values().forEach(l -> l.classifier().close());
    ready.clear();
  }

  /** Unloads the candidates whose runs ended and loads those of new runs (worker thread). */
  private void reconcile() {
    Map<String, ShadowRun> want = wanted;
    for (Map.Entry<String, Loaded> e : List.copyOf(ready.entrySet())) {
      ShadowRun run = want.get(e.getKey());
      Loaded l = e.getValue();
      if (run != null
          && run.candidate().equals(l.run().candidate())
          && run.version().equals(l.run().version())) {
        if (!run.equals(l.run())) {
          ready.put(e.getKey(), new Loaded(run, l.classifier(), l.tally()));
        }
        continue;
      }
      // The last comparisons are written before the run stops showing in the health details: every
      // comparison happens on this thread, so none comes after this write.
      write(l);
      ready.remove(e.getKey());
      l.classifier().close();
      JsonLog.get().info("shadow_unloaded", "model", e.getKey(), "candidate", l.run().candidate());
    }
    for (Map.Entry<String, ShadowRun> e : want.entrySet()) {
      if (stopped || ready.containsKey(e.getKey())) {
        continue;
      }
      ShadowRun run = e.getValue();
      Failure f = failures.get(e.getKey());
      if (f != null
          && f.candidate().equals(run.candidate())
          && f.version().equals(run.version())
          && System.nanoTime() - f.atNanos() < RETRY_FAILED.toNanos()) {
        continue;
      }
      load(run);
    }
  }

  private void load(ShadowRun run) {
    long t0 = System.nanoTime();
    Classifier classifier = null;
    try {
      ModelPackage pkg = ModelPackage.read(store.fetch(run.model(), run.version(), cacheRoot));
      String task = registry.named(run.model()).map(ServedModel::task).orElse(pkg.spec().task());
      if (!pkg.spec().name().equals(run.model())
          || !pkg.spec().version().equals(run.version())
          || !pkg.spec().task().equals(task)) {
        throw new ModelException(
            "the package stored as "
                + run.model()
                + " "
                + run.version()
                + " says it is "
                + pkg.spec().name()
                + " "
                + pkg.spec().version()
                + " for task "
                + pkg.spec().task());
      }
      classifier = Classifier.open(pkg, options);
      ShadowTally tally =
          tallies.computeIfAbsent(
              List.of(run.model(), run.candidate()),
              k -> {
                try {
                  return ShadowTally.from(
                      store.shadowNode(run.model(), run.candidate(), nodeId).orElse(null));
                } catch (StorageException e) {
                  throw new IllegalStateException(
                      "cannot read this node's earlier comparisons: " + e.getMessage(), e);
                }
              });
      Loaded l = new Loaded(run, classifier, tally);
      ready.put(run.model(), l);
      failures.remove(run.model());
      write(l);
      JsonLog.get()
          .info(
              "shadow_loaded",
              "model",
              run.model(),
              "candidate",
              run.candidate(),
              "version",
              run.version(),
              "rate",
              run.rate(),
              "ms",
              (System.nanoTime() - t0) / 1_000_000);
    } catch (StorageException | ModelException | RuntimeException e) {
      if (classifier != null) {
        classifier.close();
      }
      String error =
          "cannot load candidate "
              + run.candidate()
              + " (version "
              + run.version()
              + "): "
              + e.getMessage();
      failures.put(
          run.model(), new Failure(run.candidate(), run.version(), error, System.nanoTime()));
      JsonLog.get()
          .warn(
              "shadow_load_failed",
              "model",
              run.model(),
              "candidate",
              run.candidate(),
              "error",
              String.valueOf(e.getMessage()));
      try {
        ObjectNode stored =
            store
                .shadowNode(run.model(), run.candidate(), nodeId)
                .map(n -> (ObjectNode) n)
                .orElseGet(() -> new ShadowTally().toJson());
        store.putShadowNode(
            run.model(),
            run.candidate(),
            nodeId,
            stored
                .put("node", nodeId)
                .put("loaded", false)
                .put("error", error)
                .put("updatedAt", clock.instant().toString()));
      } catch (StorageException | RuntimeException ignored) {
        // The health details say it; the store gets it at the next attempt.
      }
    }
  }

  private void compare(Sample s) {
    Loaded l = ready.get(s.model());
    if (l == null || !l.run().candidate().equals(s.candidate())) {
      return;
    }
    try {
      Classification c = l.classifier().classify(s.image());
      l.tally().compared(s.live(), c.label(), s.frameId());
    } catch (VisionException | RuntimeException e) {
      l.tally().fail();
    }
  }

  /** Writes each loaded candidate's tally that changed (all of them when {@code all}). */
  private void report(boolean all) {
    lastReport = System.nanoTime();
    for (Loaded l : ready.values()) {
      if (all || l.tally().changed()) {
        write(l);
      }
    }
  }

  private void write(Loaded l) {
    try {
      ObjectNode stats =
          l.tally()
              .toJson()
              .put("node", nodeId)
              .put("loaded", true)
              .put("updatedAt", clock.instant().toString());
      store.putShadowNode(l.run().model(), l.run().candidate(), nodeId, stats);
    } catch (StorageException | RuntimeException e) {
      JsonLog.get()
          .warn(
              "shadow_report_failed",
              "model",
              l.run().model(),
              "candidate",
              l.run().candidate(),
              "error",
              String.valueOf(e.getMessage()));
    }
  }

  @Override
  public void close() {
    stopped = true;
    LockSupport.unpark(worker);
    try {
      worker.join(TimeUnit.SECONDS.toMillis(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
