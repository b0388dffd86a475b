package org.cityvision.serving.inference;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.registry.ModelLabels;
import org.cityvision.serving.registry.RegistryJson;

/**
 * {@code GET /v1/models} (what each loaded model is and how it scored) and {@code GET
 * /v1/models/{name}}: the version this node serves, with the registry's view of the model (every
 * version in the store with its evaluation, which is live, the pointer's history, and what this
 * node serves), read from the store again when this node sees the live pointer change and at least
 * every 3 s, and {@code addedLabels}: labels admins added to the model that the served version does
 * not have yet (see {@code GET /v1/models/{name}/labels}). When the store cannot be read, the
 * served version is shown with {@code registryError}. Store reads run on the {@code io} executor.
 */
public final class ModelRoutes {
  private final ModelRegistry models;
  private final ModelStore store;
  private final WorkerExecutor io;
  private final String nodeId;
  private final ModelLabels labels;
  private final ConcurrentMap<String, Cached> snapshots = new ConcurrentHashMap<>();

  /** How long a model's registry entry read from the store is shown before it is read again. */
  static final Duration SNAPSHOT_TTL = Duration.ofSeconds(3);

  private record Cached(Optional<RegistryJson.Snapshot> snapshot, long atNanos) {}

  public ModelRoutes(
      ModelRegistry models,
      ModelStore store,
      WorkerExecutor io,
      String nodeId,
      ModelLabels labels) {
    this.labels = labels;
    this.models = models;
    this.store = store;
    this.io = io;
    this.nodeId = nodeId;
  }

  /** Any key may read the model cards. */
  public ApiArea area() {
    return new ApiArea("models")
        .add(HttpMethod.GET, "/v1/models", Access.ANY_KEY, this::list)
        .add(HttpMethod.GET, "/v1/models/{name}", Access.ANY_KEY, this::get);
  }

  public void list(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    models.all().forEach(m -> out.add(Answers.model(m.spec(), false)));
    JsonObject missing = new JsonObject();
    models.missing().forEach((task, why) -> missing.put(task, "not loaded"));
    Json.send(ctx, 200, new JsonObject().put("models", out).put("unavailable", missing));
  }

  /**
   * The store's entry for a model: cards are asked for often (dashboards, the start-up warm-up) and
   * each read costs several store requests, so it is read again only after {@link #SNAPSHOT_TTL} or
   * as soon as this node has seen the live pointer change (its maintainer reads the pointer every
   * {@code models.watchMs}).
   */
  private Optional<RegistryJson.Snapshot> snapshot(String name) throws StorageException {
    Cached c = snapshots.get(name);
    long now = System.nanoTime();
    long liveRevision =
        models.statusOfModel(name).map(ModelRegistry.Status::liveRevision).orElse(0L);
    if (c != null
        && now - c.atNanos() < SNAPSHOT_TTL.toNanos()
        && (liveRevision == 0
            || c.snapshot().map(RegistryJson.Snapshot::liveRevision).orElse(0L) == liveRevision)) {
      return c.snapshot();
    }
    Optional<RegistryJson.Snapshot> fresh = RegistryJson.read(store, name);
    if (fresh.isPresent()) {
      // Only models that exist are kept, so requests for made-up names cannot grow the map.
      snapshots.put(name, new Cached(fresh, now));
    }
    return fresh;
  }

  public void get(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    try {
      Names.requireSegment("model name", name);
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("unknown_model", "no model of that name: " + e.getMessage());
    }
    Optional<ServedModel> served = models.named(name);
    io.executeBlocking(
            () -> {
              JsonObject out =
                  served.map(m -> Answers.model(m.spec(), true)).orElseGet(JsonObject::new);
              if (served.isPresent()) {
                out.put("addedLabels", new JsonArray(labels.addedTo(name)));
              }
              try {
                Optional<RegistryJson.Snapshot> snapshot = snapshot(name);
                if (snapshot.isEmpty() && served.isEmpty()) {
                  throw ApiException.notFound(
                      "unknown_model", "no model named " + name + " is loaded or in the store");
                }
                snapshot
                    .map(s -> RegistryJson.render(s, models.statusOfModel(name), nodeId))
                    .ifPresent(r -> r.forEach(e -> out.put(e.getKey(), e.getValue())));
              } catch (StorageException e) {
                if (served.isEmpty()) {
                  throw e;
                }
                out.put("registryError", e.getMessage());
              }
              return out;
            },
            false)
        .onSuccess(out -> Json.send(ctx, 200, out))
        .onFailure(ctx::fail);
  }
}
