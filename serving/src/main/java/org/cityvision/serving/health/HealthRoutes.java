package org.cityvision.serving.health;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.cityvision.core.classify.ClassifierStats;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StoreHealth;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.inference.ModelRegistry;
import org.cityvision.serving.inference.ServedModel;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.metrics.Metrics;
import org.cityvision.serving.metrics.ModelVersionMetrics;

/**
 * {@code /health/live} (the process answers), {@code /health/ready} (models loaded, store reachable
 * or its spool has room, the start-up warm-up over, not draining: 200, else 503) and {@code
 * /metrics}. Store checks run on the I/O executor. Each model in {@code /health/ready} names the
 * version served, the store's live version ({@code live}, {@code servingLive}) and, when this node
 * could not load the live version, why ({@code error}); that alone does not make the node unready.
 */
public final class HealthRoutes {
  private final ModelRegistry models;
  private final FrameStore store;
  private final WorkerExecutor io;
  private final Metrics metrics;
  private final BooleanSupplier draining;
  private final BooleanSupplier warmingUp;
  private final boolean modelsRequired;
  private final Supplier<Map<String, JsonObject>> shadows;

  /**
   * @param warmingUp whether the node's start-up warm-up ({@code WarmUp}) still runs
   * @param modelsRequired whether a configured model that is missing makes the node not ready
   */
  public HealthRoutes(
      ModelRegistry models,
      FrameStore store,
      WorkerExecutor io,
      Metrics metrics,
      BooleanSupplier draining,
      BooleanSupplier warmingUp,
      boolean modelsRequired) {
    this(models, store, io, metrics, draining, warmingUp, modelsRequired, Map::of);
  }

  /**
   * @param shadows each model's shadow run on this node ({@code candidate}, {@code version}, {@code
   *     loaded}, {@code error}), shown under the model as {@code shadow}; a candidate that cannot
   *     be loaded does not make the node unready
   */
  public HealthRoutes(
      ModelRegistry models,
      FrameStore store,
      WorkerExecutor io,
      Metrics metrics,
      BooleanSupplier draining,
      BooleanSupplier warmingUp,
      boolean modelsRequired,
      Supplier<Map<String, JsonObject>> shadows) {
    this.shadows = shadows;
    this.warmingUp = warmingUp;
    this.modelsRequired = modelsRequired;
    this.models = models;
    this.store = store;
    this.io = io;
    this.metrics = metrics;
    this.draining = draining;
  }

  /** The operations area: no key needed (bind to loopback or a private network). */
  public ApiArea area() {
    return new ApiArea("health")
        .add(HttpMethod.GET, "/health/live", Access.OPEN, this::live)
        .add(HttpMethod.GET, "/health/ready", Access.OPEN, this::ready)
        .add(HttpMethod.GET, "/metrics", Access.OPEN, this::metrics);
  }

  public void live(RoutingContext ctx) {
    Json.send(ctx, 200, new JsonObject().put("status", "live"));
  }

  public void ready(RoutingContext ctx) {
    io.executeBlocking(store::health, false)
        .onSuccess(
            h -> {
              JsonObject modelsJson = new JsonObject();
              for (ServedModel m : models.all()) {
                modelsJson.put(
                    m.task(),
                    new JsonObject()
                        .put("loaded", true)
                        .put("model", m.spec().name())
                        .put("version", m.spec().version())
                        .put("queueDepth", m.classifier().queueDepth()));
              }
              models
                  .missing()
                  .forEach(
                      (task, why) -> modelsJson.put(task, new JsonObject().put("loaded", false)));
              // A node that cannot load a promoted version stays ready on the version it has, and
              // says so.
              models
                  .statuses()
                  .forEach(
                      (task, st) -> {
                        JsonObject m = modelsJson.getJsonObject(task);
                        if (m != null) {
                          m.put("live", st.live())
                              .put(
                                  "servingLive",
                                  st.served() != null && st.served().equals(st.live()))
                              .put("error", st.error());
                        }
                      });
              shadows
                  .get()
                  .forEach(
                      (name, run) ->
                          models.all().stream()
                              .filter(m -> m.spec().name().equals(name))
                              .forEach(m -> modelsJson.getJsonObject(m.task()).put("shadow", run)));
              boolean storeOk = h.reachable() || h.spoolBytes() < h.spoolMaxBytes();
              boolean modelsOk = models.missing().isEmpty() || !modelsRequired;
              boolean drain = draining.getAsBoolean();
              boolean warming = warmingUp.getAsBoolean();
              boolean ready = storeOk && modelsOk && !drain && !warming;
              JsonObject body =
                  new JsonObject()
                      .put("status", ready ? "ready" : "not_ready")
                      .put("draining", drain)
                      .put("warmingUp", warming)
                      .put("models", modelsJson)
                      .put(
                          "store",
                          new JsonObject()
                              .put("reachable", h.reachable())
                              .put("degraded", h.degraded())
                              .put("spoolItems", h.spoolItems())
                              .put("spoolBytes", h.spoolBytes())
                              .put("spoolMaxBytes", h.spoolMaxBytes()));
              Json.send(ctx, ready ? 200 : 503, body);
            })
        .onFailure(ctx::fail);
  }

  public void metrics(RoutingContext ctx) {
    io.executeBlocking(
            () -> {
              Map<String, ClassifierStats> stats = new LinkedHashMap<>();
              Map<String, Integer> inFlight = new LinkedHashMap<>();
              for (ServedModel m : models.all()) {
                stats.put(m.spec().name(), m.classifier().stats());
                inFlight.put(m.task(), m.inFlight());
              }
              StoreHealth h = store.health();
              return metrics.render(stats, inFlight, h, JsonLog.get().dropped())
                  + ModelVersionMetrics.render(models.statuses().values());
            },
            false)
        .onSuccess(
            text -> ctx.response().putHeader("Content-Type", Metrics.contentType()).end(text))
        .onFailure(ctx::fail);
  }
}
