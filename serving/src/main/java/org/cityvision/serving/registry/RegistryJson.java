package org.cityvision.serving.registry;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelManifest;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.NodeReport;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.inference.LiveModelMaintainer;
import org.cityvision.serving.inference.ModelRegistry;

/**
 * The JSON form of the model registry, shared by {@code GET /v1/models/{name}} and {@code
 * cityvision models list}: the live pointer, every version with the evaluation its {@code
 * model.json} records, the recent pointer history, and what each node serves (this node's own
 * status, the others' latest reports in the store, marked {@code stale} when a node has stopped
 * reporting).
 */
public final class RegistryJson {
  /** Pointer revisions shown with a model. */
  static final int HISTORY = 20;

  /** A node whose report is older than this has stopped (nodes rewrite it every 30 s). */
  static final Duration STALE_AFTER = LiveModelMaintainer.REPORT_EVERY.multipliedBy(3);

  private RegistryJson() {}

  public static JsonObject pointer(LivePointer p) {
    return new JsonObject()
        .put("revision", p.revision())
        .put("version", p.version())
        .put("previous", p.previous())
        .put("action", p.action().name().toLowerCase(Locale.ROOT))
        .put("actor", p.actor())
        .put("reason", p.reason())
        .put("forced", p.forced())
        .put("at", p.at().toString());
  }

  /** What the node knows of a model it serves (or should serve). */
  public static JsonObject node(String nodeId, ModelRegistry.Status s) {
    return new JsonObject()
        .put("node", nodeId)
        .put("task", s.task())
        .put("served", s.served())
        .put("live", s.live())
        .put("servingLive", s.served() != null && s.served().equals(s.live()))
        .put("error", s.error())
        .put("swaps", s.swaps())
        .put("failedSwaps", s.failedSwaps());
  }

  /**
   * What the store holds for one model, read at one moment: its versions with their evaluations,
   * the pointer's recent history and the nodes' reports. Immutable.
   */
  public record Snapshot(
      String name,
      List<ModelManifest> versions,
      Map<String, JsonObject> evaluations,
      List<LivePointer> history,
      List<NodeReport> nodes) {
    public Snapshot {
      versions = List.copyOf(versions);
      evaluations = Map.copyOf(evaluations);
      history = List.copyOf(history);
      nodes = List.copyOf(nodes);
    }

    /** The live pointer's revision when this was read, 0 when there was none. */
    public long liveRevision() {
      return history.isEmpty() ? 0 : history.get(0).revision();
    }
  }

  /**
   * Reads a model's registry entry from the store. Blocking.
   *
   * @return empty when the store knows no version of the model
   */
  public static Optional<Snapshot> read(ModelStore store, String name) throws StorageException {
    List<ModelManifest> versions = store.versions(name);
    List<LivePointer> history = store.history(name, HISTORY);
    if (versions.isEmpty() && history.isEmpty()) {
      return Optional.empty();
    }
    Map<String, JsonObject> evaluations = new HashMap<>();
    for (ModelManifest m : versions) {
      evaluations.put(m.version(), evaluation(store, name, m.version()));
    }
    return Optional.of(new Snapshot(name, versions, evaluations, history, store.nodes(name)));
  }

  /** {@link #read} then {@link #render}. Blocking. */
  public static Optional<JsonObject> model(
      ModelStore store, String name, Optional<ModelRegistry.Status> here, String nodeId)
      throws StorageException {
    return read(store, name).map(s -> render(s, here, nodeId));
  }

  /**
   * A model's registry entry as JSON.
   *
   * @param here this node's status for the model, when it follows it (shown as it is now)
   */
  public static JsonObject render(
      Snapshot snapshot, Optional<ModelRegistry.Status> here, String nodeId) {
    List<LivePointer> history = snapshot.history();
    String live = history.isEmpty() ? null : history.get(0).version();
    String served = here.map(ModelRegistry.Status::served).orElse(null);
    JsonArray list = new JsonArray();
    for (ModelManifest m : snapshot.versions()) {
      list.add(
          new JsonObject()
              .put("version", m.version())
              .put("task", m.task())
              .put("createdAt", m.createdAt().toString())
              .put("createdBy", m.createdBy())
              .put("files", m.files().size())
              .put("bytes", m.bytes())
              .put("live", m.version().equals(live))
              .put("servedHere", m.version().equals(served))
              .put("evaluation", snapshot.evaluations().get(m.version()).copy()));
    }
    JsonArray past = new JsonArray();
    history.forEach(p -> past.add(pointer(p)));
    JsonArray nodes = new JsonArray();
    Instant now = Instant.now();
    here.ifPresent(s -> nodes.add(node(nodeId, s).put("at", now.toString()).put("stale", false)));
    for (NodeReport r : snapshot.nodes()) {
      if (here.isPresent() && r.node().equals(nodeId)) {
        continue;
      }
      nodes.add(
          new JsonObject()
              .put("node", r.node())
              .put("task", r.task())
              .put("served", r.served())
              .put("live", r.live())
              .put("servingLive", r.served() != null && r.served().equals(r.live()))
              .put("error", r.error())
              .put("at", r.at().toString())
              .put("stale", r.at().plus(STALE_AFTER).isBefore(now)));
    }
    return new JsonObject()
        .put("name", snapshot.name())
        .put("live", history.isEmpty() ? null : pointer(history.get(0)))
        .put("versions", list)
        .put("history", past)
        .put("nodes", nodes);
  }

  /** The {@code metrics} of a version's {@code model.json}, or why it cannot be read. */
  private static JsonObject evaluation(ModelStore store, String name, String version) {
    try {
      JsonObject spec = new JsonObject(Buffer.buffer(store.readFile(name, version, "model.json")));
      JsonObject metrics = spec.getJsonObject("metrics");
      return metrics == null ? new JsonObject() : metrics;
    } catch (StorageException | RuntimeException e) {
      return new JsonObject().put("error", e.getMessage());
    }
  }
}
