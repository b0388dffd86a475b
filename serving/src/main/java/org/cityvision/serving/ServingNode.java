package org.cityvision.serving;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.batch.BatchJobs;
import org.cityvision.core.batch.BatchOptions;
import org.cityvision.core.batch.BatchTotals;
import org.cityvision.core.classify.AuditSampler;
import org.cityvision.core.classify.ClassifiedFrames;
import org.cityvision.core.classify.FlagListener;
import org.cityvision.core.model.Task;
import org.cityvision.core.quality.CameraCondition;
import org.cityvision.core.quality.CameraHealthConfig;
import org.cityvision.core.quality.CameraHealthRecords;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.HealthTransition;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StoreHealth;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.auth.KeyRefreshVerticle;
import org.cityvision.serving.auth.KeyRoutes;
import org.cityvision.serving.auth.RateLimiter;
import org.cityvision.serving.batch.BatchRoutes;
import org.cityvision.serving.cameras.CameraEvents;
import org.cityvision.serving.cameras.CameraHealthService;
import org.cityvision.serving.cameras.CameraRoutes;
import org.cityvision.serving.capture.CaptureWriter;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.health.HealthRoutes;
import org.cityvision.serving.http.HttpVerticle;
import org.cityvision.serving.http.OpenApi;
import org.cityvision.serving.http.Route;
import org.cityvision.serving.http.UploadsSweeper;
import org.cityvision.serving.inference.ClassifyRoutes;
import org.cityvision.serving.inference.InferenceService;
import org.cityvision.serving.inference.LiveModelMaintainer;
import org.cityvision.serving.inference.ModelRegistry;
import org.cityvision.serving.inference.ModelRoutes;
import org.cityvision.serving.inference.ServedModel;
import org.cityvision.serving.ingest.FrameRoutes;
import org.cityvision.serving.ingest.IdempotencyLedger;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.log.LogLevels;
import org.cityvision.serving.metrics.Metrics;
import org.cityvision.serving.registry.CandidateJobs;
import org.cityvision.serving.registry.LabelRoutes;
import org.cityvision.serving.registry.ModelLabels;
import org.cityvision.serving.registry.RegistryRoutes;
import org.cityvision.serving.retention.RetentionMaintainer;
import org.cityvision.serving.review.FlagRecounts;
import org.cityvision.serving.review.ReviewDeps;
import org.cityvision.serving.review.ReviewEvents;
import org.cityvision.serving.review.ReviewFeed;
import org.cityvision.serving.review.ReviewPage;
import org.cityvision.serving.review.ReviewRoutes;
import org.cityvision.serving.review.open311.Open311Exporter;
import org.cityvision.serving.review.open311.Open311Stats;
import org.cityvision.serving.review.webhook.WebhookNotifier;
import org.cityvision.serving.review.webhook.WebhookStats;
import org.cityvision.serving.shadow.ShadowRoutes;
import org.cityvision.serving.shadow.ShadowRunner;

/**
 * One serving node: the composition root of {@code cityvision serve}. It owns a Vert.x instance,
 * the store, the loaded models and the HTTP verticles, and keeps no state of its own beyond caches:
 * several nodes over one store behave as one system.
 *
 * <h2>Start-up order</h2>
 *
 * The store and the models open in parallel on worker threads (both take seconds); then the API
 * keys are bootstrapped (they need the store), then the key refresher and the HTTP verticles
 * deploy: nothing listens before it can answer. Then the start-up warm-up ({@link WarmUp}) drives
 * the node's own request paths for {@code http.warmUpSeconds}, and only after it does {@code
 * /health/ready} report ready ({@link #warmedUp()}).
 *
 * <h2>Shutdown order</h2>
 *
 * Readiness turns false (so balancers stop sending), the HTTP servers stop accepting and drain the
 * requests in flight, the classifiers finish what is queued, the spool gets a bounded time to reach
 * MinIO, then the store and Vert.x close. Whoever starts a node calls {@link #shutdown()}.
 */
public final class ServingNode {
  private final ServerConfig config;
  private final Vertx vertx;
  private final WorkerExecutor io;
  private final WorkerExecutor decoders;
  private final FrameStore store;
  private final ModelRegistry models;
  private final ApiKeys keys;
  private final Metrics metrics;
  private final AtomicBoolean draining;
  private final List<String> deployments;
  private final int port;
  private final List<Route> routes;
  private final Optional<ApiKeys.Created> bootstrapKey;
  private final List<AutoCloseableEvents> listeners;
  private final BatchJobs batch;
  private final LiveModelMaintainer maintainer;

  /** Candidates in the shadow of the live models; closed before the registry and the store. */
  private final ShadowRunner shadows;

  private final CameraHealthService cameraHealth;

  /**
   * Candidate models trained here from verdicts; closed (the running job cancelled) at shutdown.
   */
  private final CandidateJobs candidates;

  /**
   * Completed when the start-up warm-up ends (or at once without one); until then the node is not
   * ready.
   */
  private final Promise<WarmUp.Report> warmedUp;

  /** A review-queue listener that owns a sender thread. */
  interface AutoCloseableEvents extends ReviewEvents, CameraEvents, AutoCloseable {}

  private ServingNode(
      ServerConfig config,
      Vertx vertx,
      WorkerExecutor io,
      WorkerExecutor decoders,
      FrameStore store,
      ModelRegistry models,
      ApiKeys keys,
      Metrics metrics,
      Deployed deployed,
      Optional<ApiKeys.Created> bootstrapKey,
      List<AutoCloseableEvents> listeners,
      BatchJobs batch,
      LiveModelMaintainer maintainer,
      ShadowRunner shadows,
      Promise<WarmUp.Report> warmedUp) {
    this.warmedUp = warmedUp;
    this.shadows = shadows;
    this.maintainer = maintainer;
    this.config = config;
    this.vertx = vertx;
    this.io = io;
    this.decoders = decoders;
    this.store = store;
    this.models = models;
    this.keys = keys;
    this.metrics = metrics;
    this.draining = deployed.draining();
    this.deployments = deployed.ids();
    this.port = deployed.port();
    this.routes = deployed.routes();
    this.bootstrapKey = bootstrapKey;
    this.listeners = listeners;
    this.batch = batch;
    this.candidates = deployed.candidates();
    this.cameraHealth = deployed.cameraHealth();
  }

  /**
   * Batch jobs run on this node with the live classifiers, each job on the version it started with
   * (it holds a lease until no job runs); at most 16 frames in flight per job keeps room in each
   * classifier's queue (64) for live requests. One job at a time per node. Their flags reach {@code
   * flags} like those of live ingest.
   */
  private static BatchJobs batchJobs(
      FrameStore store, ModelRegistry models, FlagListener flags, AuditSampler audit) {
    return new BatchJobs(
        store,
        models::leaseForBatch,
        BatchOptions.defaults().withParallelism(16).withFlagListener(flags).withAudit(audit),
        1,
        Clock.systemUTC());
  }

  /** Who hears of a flag, from ingest and batch alike: the metrics, then the review listeners. */
  private static FlagListener flagListener(Metrics metrics, ReviewEvents events) {
    return flag -> {
      metrics.flagCreated(flag.label());
      events.flagCreated(flag);
    };
  }

  /**
   * Starts the webhook notifier and, when configured, the Open311 exporter. Their secrets come from
   * the environment only; a configured receiver without its secret fails the start.
   */
  private static Future<List<AutoCloseableEvents>> startListeners(
      ServerConfig config, FrameStore store, Metrics metrics) {
    List<AutoCloseableEvents> started = new ArrayList<>();
    try {
      Clock clock = Clock.systemUTC();
      WebhookNotifier webhooks =
          WebhookNotifier.start(config.review().webhooks(), System.getenv(), clock);
      started.add(wrap(webhooks, webhooks));
      metrics.counter(
          "cityvision_webhook_deliveries",
          "Webhook deliveries by outcome (dropped: queue full).",
          "outcome",
          () -> {
            WebhookStats w = webhooks.stats();
            return Map.of(
                "delivered",
                w.delivered(),
                "failed",
                w.failed(),
                "dropped",
                w.dropped(),
                "retried",
                w.retried());
          });
      metrics.gauge(
          "cityvision_webhook_pending",
          "Webhook deliveries waiting or in flight.",
          () -> webhooks.stats().pending());
      if (config.review().open311().enabled()) {
        Open311Exporter open311 =
            Open311Exporter.start(config.review().open311(), store, System.getenv(), clock);
        started.add(wrap(open311, open311));
        metrics.counter(
            "cityvision_open311_pushes",
            "Open311 pushes of confirmed flags by outcome (dropped: queue"
                + " full, sent by the resend).",
            "outcome",
            () -> {
              Open311Stats o = open311.stats();
              Map<String, Long> out = new TreeMap<>();
              o.outcomes().forEach((state, n) -> out.put(state.name().toLowerCase(Locale.ROOT), n));
              out.put("dropped", o.dropped());
              return out;
            });
        metrics.gauge(
            "cityvision_open311_resend_passes",
            "Scheduled Open311 resend passes completed.",
            () -> open311.stats().resendPasses());
      }
      return Future.succeededFuture(started);
    } catch (RuntimeException e) {
      started.forEach(ServingNode::closeQuietly);
      return Future.failedFuture(e);
    }
  }

  private static AutoCloseableEvents wrap(ReviewEvents events, AutoCloseable owner) {
    return new AutoCloseableEvents() {
      @Override
      public void flagCreated(FlagRecord flag) {
        events.flagCreated(flag);
      }

      @Override
      public void flagReviewed(FlagRecord flag) {
        events.flagReviewed(flag);
      }

      @Override
      public void cameraChanged(CameraState camera, HealthTransition transition) {
        if (events instanceof CameraEvents cameras) {
          cameras.cameraChanged(camera, transition);
        }
      }

      @Override
      public void close() throws Exception {
        owner.close();
      }
    };
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      JsonLog.get().error("listener_close_failed", e);
    }
  }

  /** Each served model's labels, by model name: what a relabel of its flags may choose. */
  /** The labels reviewers can relabel to: the urban model's, when it is loaded. */
  private static List<String> urbanLabels(ModelRegistry models) {
    return models.all().stream()
        .filter(m -> m.spec().task().equals(Task.URBAN.id()))
        .findFirst()
        .map(m -> m.spec().labels())
        .orElse(List.of());
  }

  /** Starts a node; the future fails (and everything opened is closed) if any part cannot start. */
  public static Future<ServingNode> start(ServerConfig config, Secrets secrets) {
    LogLevels.apply(config.log().level(), config.log().levels());
    int cores = Runtime.getRuntime().availableProcessors();
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(Math.max(2, config.http().eventLoops()))
                .setWorkerPoolSize(Math.max(4, cores))
                .setMaxWorkerExecuteTime(5)
                .setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES));
    WorkerExecutor io =
        vertx.createSharedWorkerExecutor(
            "cityvision-io", config.ingest().ioThreads(), 5, TimeUnit.MINUTES);
    WorkerExecutor decoders =
        vertx.createSharedWorkerExecutor(
            "cityvision-decode", config.inference().decodeThreads(), 5, TimeUnit.MINUTES);
    Metrics metrics = new Metrics();
    long t0 = System.nanoTime();
    // Not ready until the warm-up has run (when there is one): see warmUp().
    Promise<WarmUp.Report> warmedUp = Promise.promise();
    if (config.http().warmUpSeconds() <= 0) {
      warmedUp.complete(WarmUp.Report.NONE);
    }

    Future<FrameStore> store =
        io.executeBlocking(
            () -> {
              Files.createDirectories(config.uploadsDir());
              return FrameStores.open(config.storage().storageConfig(config.data(), secrets));
            },
            false);
    // The store's live versions decide what serves; the configured folders seed it
    // (ModelRegistry.open).
    Future<ModelRegistry> models =
        store.compose(
            s ->
                decoders.executeBlocking(
                    () ->
                        ModelRegistry.open(
                            config.models().packages(config.home()),
                            config.models().required(),
                            config.inference(),
                            config.images().limits(config.http().bodyLimitBytes()),
                            s.models(),
                            config.modelCacheDir(),
                            config.features().keep()),
                    false));
    Promise<ServingNode> started = Promise.promise();
    Future.join(store, models)
        .onComplete(
            opened -> {
              if (opened.failed()) {
                closeQuietly(store, models);
                vertx
                    .close()
                    .onComplete(v -> started.fail(store.failed() ? store.cause() : models.cause()));
                return;
              }
              ApiKeys keys = new ApiKeys(store.result(), Clock.systemUTC());
              io.executeBlocking(() -> keys.bootstrap(secrets.adminKey()), false)
                  .compose(
                      bootstrap ->
                          startListeners(config, store.result(), metrics)
                              .compose(
                                  listeners -> {
                                    ReviewEvents events = ReviewEvents.all(listeners);
                                    FlagListener flags = flagListener(metrics, events);
                                    // One sampler for ingest and batch, so that a camera's audit
                                    // cap counts both.
                                    AuditSampler audit = config.audit().sampler();
                                    BatchJobs batch =
                                        batchJobs(store.result(), models.result(), flags, audit);
                                    metrics.counter(
                                        "cityvision_batch_jobs",
                                        "Batch jobs that ended on this node, by final status.",
                                        "status",
                                        () -> {
                                          Map<String, Long> out = new TreeMap<>();
                                          batch
                                              .totals()
                                              .ended()
                                              .forEach(
                                                  (st, n) ->
                                                      out.put(
                                                          st.name().toLowerCase(Locale.ROOT), n));
                                          return out;
                                        });
                                    metrics.counter(
                                        "cityvision_batch_frames",
                                        "Frames handled by batch jobs on this node, by outcome.",
                                        "outcome",
                                        () -> {
                                          BatchTotals t = batch.totals();
                                          return Map.of(
                                              "classified",
                                              t.classified(),
                                              "skipped",
                                              t.skipped(),
                                              "failed",
                                              t.failed());
                                        });
                                    metrics.gauge(
                                        "cityvision_batch_jobs_running",
                                        "Batch jobs running on this node.",
                                        () -> batch.totals().running());
                                    LiveModelMaintainer maintainer =
                                        LiveModelMaintainer.start(
                                            models.result(),
                                            store.result().models(),
                                            config.modelCacheDir(),
                                            config.models().watchMs(),
                                            () -> !batch.runningHere().isEmpty(),
                                            LiveModelMaintainer.nodeId(config.data()));
                                    ShadowRunner shadows =
                                        ShadowRunner.start(
                                            models.result(),
                                            store.result().models(),
                                            config.modelCacheDir(),
                                            config.shadow(),
                                            config
                                                .inference()
                                                .classifierOptions(
                                                    config
                                                        .images()
                                                        .limits(config.http().bodyLimitBytes())),
                                            LiveModelMaintainer.nodeId(config.data()),
                                            Clock.systemUTC());
                                    maintainer.afterEachPass(shadows::refresh);
                                    shadowMetrics(metrics, shadows);
                                    return deploy(
                                            config,
                                            vertx,
                                            io,
                                            decoders,
                                            store.result(),
                                            models.result(),
                                            keys,
                                            metrics,
                                            events,
                                            CameraEvents.all(listeners),
                                            flags,
                                            audit,
                                            batch,
                                            shadows,
                                            warmedUp.future())
                                        .map(
                                            d ->
                                                new ServingNode(
                                                    config,
                                                    vertx,
                                                    io,
                                                    decoders,
                                                    store.result(),
                                                    models.result(),
                                                    keys,
                                                    metrics,
                                                    d,
                                                    bootstrap,
                                                    listeners,
                                                    batch,
                                                    maintainer,
                                                    shadows,
                                                    warmedUp))
                                        .onFailure(
                                            e -> {
                                              maintainer.close();
                                              shadows.close();
                                              batch.close();
                                              listeners.forEach(ServingNode::closeQuietly);
                                            });
                                  }))
                  .onSuccess(
                      node -> {
                        JsonLog.get()
                            .info(
                                "server_started",
                                "host",
                                config.http().host(),
                                "port",
                                node.port(),
                                "ms",
                                (System.nanoTime() - t0) / 1_000_000,
                                "models",
                                models.result().all().size(),
                                "data",
                                config.data().toString());
                        node.warmUp();
                        started.complete(node);
                      })
                  .onFailure(
                      e -> {
                        closeQuietly(store, models);
                        vertx.close().onComplete(v -> started.fail(e));
                      });
            });
    return started.future();
  }

  /**
   * {@code cityvision_shadow_*_total{model,candidate}}: this node's comparisons since it started.
   */
  private static void shadowMetrics(Metrics metrics, ShadowRunner shadows) {
    List<String> labels = List.of("model", "candidate");
    metrics.counter(
        "cityvision_shadow_compared",
        "Live answers a shadowed candidate also classified on this node.",
        labels,
        () -> shadows.counts("compared"));
    metrics.counter(
        "cityvision_shadow_agreed",
        "Shadow comparisons where the candidate's top-1 label was the live " + "one.",
        labels,
        () -> shadows.counts("agreed"));
    metrics.counter(
        "cityvision_shadow_dropped",
        "Shadow samples dropped because the shadow queue was full.",
        labels,
        () -> shadows.counts("dropped"));
  }

  /** Each model's shadow run on this node, for {@code /health/ready}. */
  private static Map<String, JsonObject> shadowHealth(ShadowRunner shadows) {
    Map<String, JsonObject> out = new TreeMap<>();
    shadows
        .status()
        .forEach(
            (model, s) ->
                out.put(
                    model,
                    new JsonObject()
                        .put("candidate", s.candidate())
                        .put("version", s.version())
                        .put("loaded", s.loaded())
                        .put("error", s.error())));
    return out;
  }

  private record Deployed(
      List<String> ids,
      int port,
      AtomicBoolean draining,
      List<Route> routes,
      CandidateJobs candidates,
      CameraHealthService cameraHealth) {}

  private static Future<Deployed> deploy(
      ServerConfig config,
      Vertx vertx,
      WorkerExecutor io,
      WorkerExecutor decoders,
      FrameStore store,
      ModelRegistry models,
      ApiKeys keys,
      Metrics metrics,
      ReviewEvents events,
      CameraEvents cameraEvents,
      FlagListener flags,
      AuditSampler audit,
      BatchJobs batch,
      ShadowRunner shadows,
      Future<WarmUp.Report> warmedUp) {
    AtomicBoolean draining = new AtomicBoolean();
    OpenApi openApi;
    try {
      openApi = OpenApi.load();
    } catch (UncheckedIOException e) {
      return Future.failedFuture(e);
    }
    InferenceService inference = new InferenceService(models, decoders, metrics, shadows);
    Clock clock = Clock.systemUTC();
    String nodeId = ManagementFactory.getRuntimeMXBean().getName();
    IdempotencyLedger ledger =
        new IdempotencyLedger(
            store,
            clock,
            Duration.ofMillis(config.ingest().idempotencyWaitMs()),
            Duration.ofMillis(Math.max(60_000, 2 * config.http().requestTimeoutMs())),
            nodeId);
    Authenticator auth =
        new Authenticator(
            keys,
            new RateLimiter(config.auth().ratePerSecond(), config.auth().burst()),
            io,
            metrics);
    ModelLabels labels = new ModelLabels(store.models(), models, clock);
    startLabelRefresh(vertx, io, labels);
    ReviewDeps review =
        new ReviewDeps(store, io, events, urbanLabels(models), labels::relabelTargets);
    FlagRecounts recounts = new FlagRecounts(store, clock, nodeId).measuredBy(metrics);
    recounts.schedule(vertx, io);
    CandidateJobs candidates =
        new CandidateJobs(
            store,
            models,
            config.data().resolve("candidates"),
            config.modelCacheDir(),
            clock,
            labels);
    ShadowRoutes shadowRoutes =
        new ShadowRoutes(
            store,
            candidates,
            name -> models.named(name).map(m -> m.spec().labels()).orElse(List.of()),
            io,
            config.modelCacheDir(),
            config.shadow(),
            clock);
    CameraHealthConfig healthRules =
        config.cameras().health(Duration.ofSeconds(config.ingest().reuseForSeconds()));
    CameraHealthService cameraHealth =
        new CameraHealthService(
            config.images().limits(config.http().bodyLimitBytes()),
            new CameraHealthRecords(store, config.cameras().healthWriteEvery(healthRules)),
            healthRules,
            cameraEvents,
            clock);
    metrics.gauge(
        "cityvision_cameras",
        "Cameras per health state, as of this node's last silence sweep.",
        "state",
        () -> {
          Map<String, Integer> out = new TreeMap<>();
          for (CameraCondition c : CameraCondition.values()) {
            out.put(c.wireName(), cameraHealth.counts().getOrDefault(c, 0));
          }
          return out;
        });
    metrics.counter(
        "cityvision_frames_reused",
        "Static camera frames given their camera's last result instead of a " + "forward pass.",
        "task",
        () -> Map.of(FrameRoutes.TASK, cameraHealth.reusedFrames()));
    metrics.gauge(
        "cityvision_camera_health_queued",
        "Cameras whose health changes (frame counts, times, cadence) wait in this node for their "
            + "next write (cameras.healthWriteSeconds).",
        cameraHealth::queuedCameras);
    startSilenceSweep(vertx, io, cameraHealth, config.cameras().sweepSeconds());
    // The API, area by area: one line each. The review page answers every other GET path.
    ApiRouter api =
        new ApiRouter(
            List.of(
                new HealthRoutes(
                        models,
                        store,
                        io,
                        metrics,
                        draining::get,
                        () -> !warmedUp.isComplete(),
                        config.models().required(),
                        () -> shadowHealth(shadows))
                    .area(),
                openApi.area(),
                new ClassifyRoutes(
                        inference,
                        config.capture(),
                        new CaptureWriter(
                            new ClassifiedFrames(
                                store, flags, AuditSampler.NONE, config.review().grouping().rule()),
                            io,
                            clock,
                            config.capture().queue(),
                            config.capture().maxPerMinute(),
                            config.images().limits(config.http().bodyLimitBytes()),
                            config.ingest().thumbnailMaxSide(),
                            config.ingest().thumbnailQuality(),
                            metrics))
                    .area(),
                new FrameRoutes(
                        config.ingest(),
                        inference,
                        ledger,
                        io,
                        metrics,
                        clock,
                        new ClassifiedFrames(
                            store, flags, audit, config.review().grouping().rule()),
                        cameraHealth)
                    .area(),
                new CameraRoutes(cameraHealth, io).area(),
                new RegistryRoutes(
                        store.models(),
                        io,
                        config.modelCacheDir(),
                        candidates,
                        shadowRoutes::describe)
                    .area(),
                shadowRoutes.area(),
                new ModelRoutes(
                        models,
                        store.models(),
                        io,
                        LiveModelMaintainer.nodeId(config.data()),
                        labels)
                    .area(),
                new LabelRoutes(labels, io).area(),
                new KeyRoutes(keys, io).area(),
                ReviewRoutes.area(
                    review,
                    recounts,
                    ReviewFeed.of(store, io, config.http().requestTimeoutMs()),
                    config.review().reopenWindow()),
                new BatchRoutes(batch, io, clock).area(),
                ReviewPage.area()));
    List<String> ids = new ArrayList<>();
    HttpVerticle first =
        new HttpVerticle(
            config.http(), config.http().port(), v -> api.router(v, config, metrics, auth));
    return vertx
        .deployVerticle(new KeyRefreshVerticle(keys, io, config.auth().keyRefreshMs()))
        .compose(
            id -> {
              ids.add(id);
              // Before the listener: what is in the uploads folder now belongs to no request.
              return vertx.deployVerticle(
                  new UploadsSweeper(
                      config.uploadsDir(),
                      Duration.ofMillis(config.http().requestTimeoutMs()).plusSeconds(10),
                      io,
                      metrics));
            })
        .compose(
            id -> {
              ids.add(id);
              return config.retention().enabled()
                  ? vertx
                      .deployVerticle(
                          new RetentionMaintainer(
                              config.retention(),
                              store,
                              metrics,
                              ManagementFactory.getRuntimeMXBean().getName(),
                              Clock.systemUTC()))
                      .map(
                          r -> {
                            ids.add(r);
                            return r;
                          })
                  : Future.succeededFuture(id);
            })
        .compose(id -> vertx.deployVerticle(first))
        .compose(
            id -> {
              ids.add(id);
              // Further event loops share the first server's port (which may have been chosen by
              // the OS).
              Future<Void> more = Future.succeededFuture();
              for (int i = 1; i < config.http().eventLoops(); i++) {
                more =
                    more.compose(
                        v ->
                            vertx
                                .deployVerticle(
                                    new HttpVerticle(
                                        config.http(),
                                        first.actualPort(),
                                        x -> api.router(x, config, metrics, auth)))
                                .map(
                                    id2 -> {
                                      ids.add(id2);
                                      return null;
                                    }));
              }
              return more;
            })
        .map(
            v ->
                new Deployed(
                    ids, first.actualPort(), draining, api.routes(), candidates, cameraHealth));
  }

  /** Reads the labels admins added (on any node) now and every {@link ModelLabels#REFRESH_MS}. */
  private static void startLabelRefresh(Vertx vertx, WorkerExecutor io, ModelLabels labels) {
    AtomicBoolean running = new AtomicBoolean();
    Runnable refresh =
        () -> {
          if (running.compareAndSet(false, true)) {
            try {
              io.executeBlocking(
                      () -> {
                        labels.refresh();
                        return null;
                      },
                      false)
                  .onFailure(e -> JsonLog.get().warn("label_refresh_failed", "error", e.toString()))
                  .onComplete(r -> running.set(false));
            } catch (RejectedExecutionException closing) {
              // The node is closing: its worker pool stopped before this timer's last tick.
              running.set(false);
            }
          }
        };
    refresh.run();
    vertx.setPeriodic(ModelLabels.REFRESH_MS, id -> refresh.run());
  }

  /**
   * Every {@code seconds}, marks silent the cameras that went quiet and counts cameras per state
   * (off the event loop; a sweep still running skips the next tick). Every node sweeps; the
   * conditional write lets one node record each change and send its event. Vert.x cancels the timer
   * when the node closes.
   */
  private static void startSilenceSweep(
      Vertx vertx, WorkerExecutor io, CameraHealthService health, long seconds) {
    AtomicBoolean running = new AtomicBoolean();
    vertx.setPeriodic(
        seconds * 1000,
        id -> {
          if (running.compareAndSet(false, true)) {
            try {
              io.executeBlocking(health::sweep, false)
                  .onFailure(e -> JsonLog.get().warn("camera_sweep_failed", "error", e.toString()))
                  .onComplete(r -> running.set(false));
            } catch (RejectedExecutionException closing) {
              running.set(false); // the node is closing
            }
          }
        });
  }

  /**
   * Runs the start-up warm-up ({@link WarmUp}) for {@code http.warmUpSeconds}, with an internal
   * admin-role key that is revoked when it ends; the node reports ready afterwards. Without a
   * warm-up time or without models, the node is ready at once.
   */
  private void warmUp() {
    double seconds = config.http().warmUpSeconds();
    List<ServedModel> served = List.copyOf(models.all());
    if (seconds <= 0 || served.isEmpty()) {
      warmedUp.tryComplete(WarmUp.Report.NONE);
      return;
    }
    JsonLog.get().info("warm_up_started", "seconds", seconds, "models", served.size());
    ApiKeys.InternalKey key = keys.internalKey("warm-up", KeyRole.ADMIN);
    WarmUp.run(
            vertx,
            config.http().host(),
            port,
            key.key(),
            seconds,
            served,
            config.inference().workers(),
            draining::get,
            decoders)
        .onComplete(
            ar -> {
              key.close();
              WarmUp.Report r = ar.succeeded() ? ar.result() : WarmUp.Report.NONE;
              if (ar.failed()) {
                JsonLog.get().error("warm_up_failed", ar.cause());
              } else {
                JsonLog.get()
                    .info(
                        "warm_up_done",
                        "seconds",
                        Math.round(r.seconds() * 10) / 10.0,
                        "requests",
                        r.requests(),
                        "classified",
                        r.classified(),
                        "unexpected",
                        r.unexpected());
              }
              warmedUp.tryComplete(r);
            });
  }

  /**
   * Completes when the start-up warm-up has ended (at once when there is none); the node reports
   * ready from then on. A failed warm-up is logged and completes this with {@link
   * WarmUp.Report#NONE}: the node serves anyway.
   */
  public Future<WarmUp.Report> warmedUp() {
    return warmedUp.future();
  }

  /**
   * The API's route table: what the router mounts, the metrics label and {@code /openapi.json}
   * lists.
   */
  public List<Route> routes() {
    return routes;
  }

  /** The port the HTTP server listens on. */
  public int port() {
    return port;
  }

  public String host() {
    return config.http().host();
  }

  public ServerConfig config() {
    return config;
  }

  /**
   * The admin key created at first start on an empty store (to be shown once), if this node made
   * it.
   */
  public Optional<ApiKeys.Created> bootstrapKey() {
    return bootstrapKey;
  }

  public ModelRegistry models() {
    return models;
  }

  public FrameStore store() {
    return store;
  }

  public Metrics metrics() {
    return metrics;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * Graceful shutdown in the order the class comment gives; completes when everything is closed.
   */
  public Future<Void> shutdown() {
    if (!draining.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    // A warm-up still running stops at its next request; whoever waits for it need not wait on.
    warmedUp.tryComplete(WarmUp.Report.NONE);
    long t0 = System.nanoTime();
    List<String> reversed = new ArrayList<>(deployments);
    Collections.reverse(reversed);
    Future<Void> undeployed = Future.succeededFuture();
    for (String id : reversed) {
      undeployed =
          undeployed.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    return undeployed
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> {
                      // Jobs stop first (they end as cancelled, resumable) while classifiers and
                      // store still work;
                      // no version is swapped in once the registry starts closing.
                      candidates.close();
                      batch.close();
                      maintainer.close();
                      shadows.close();
                      models.close();
                      listeners.forEach(ServingNode::closeQuietly);
                      // Camera health changes still waiting in this node (frame counts, times).
                      int written = cameraHealth.flush();
                      if (written > 0) {
                        JsonLog.get().info("camera_health_flushed", "cameras", written);
                      }
                      drainSpool();
                      store.close();
                      return null;
                    },
                    false))
        .transform(
            ar -> {
              if (ar.failed()) {
                JsonLog.get().error("shutdown_failed", ar.cause());
              }
              JsonLog.get().info("server_stopped", "ms", (System.nanoTime() - t0) / 1_000_000);
              return vertx.close();
            });
  }

  /**
   * Gives writes still in the spool a bounded time to reach MinIO; what remains is replayed at next
   * start.
   */
  private void drainSpool() {
    long deadline =
        System.nanoTime() + Duration.ofMillis(config.storage().spoolDrainMs()).toNanos();
    StoreHealth h = store.health();
    while (h.spoolItems() > 0 && h.reachable() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      h = store.health();
    }
    if (h.spoolItems() > 0) {
      JsonLog.get().warn("spool_not_drained", "items", h.spoolItems(), "bytes", h.spoolBytes());
    }
  }

  private static void closeQuietly(Future<FrameStore> store, Future<ModelRegistry> models) {
    if (models.succeeded()) {
      models.result().close();
    }
    if (store.succeeded()) {
      try {
        store.result().close();
      } catch (Exception e) {
        JsonLog.get().error("store_close_failed", e);
      }
    }
  }
}
