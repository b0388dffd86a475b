package org.cityvision.serving.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelLabel;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.inference.ModelRegistry;
import org.cityvision.serving.inference.ServedModel;

/**
 * Each model's taxonomy: the labels its served package ships, then the labels admins added in the
 * store ({@link ModelStore#addLabel}), which reviewers may relabel to and candidates learn as new
 * classes. What the store holds is mirrored here so that the review routes read it without a store
 * call: {@link #refresh} (every node runs it every {@link #REFRESH_MS} ms) picks up labels another
 * node added, and {@link #add} mirrors this node's own at once.
 *
 * <p>Thread-safe. Owns nothing.
 */
public final class ModelLabels {
  /** How often a node reads the added labels of the models it serves. */
  public static final long REFRESH_MS = 2_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelStore store;
  private final ModelRegistry served;
  private final Clock clock;
  private final ConcurrentMap<String, List<String>> added = new ConcurrentHashMap<>();

  public ModelLabels(ModelStore store, ModelRegistry served, Clock clock) {
    this.store = store;
    this.served = served;
    this.clock = clock;
  }

  /**
   * Every served model's labels, package labels first and then the added ones, by model name: what
   * a relabel of that model's flag may choose and what the review session lists. Never blocks.
   */
  public Map<String, List<String>> relabelTargets() {
    Map<String, List<String>> out = new TreeMap<>();
    served
        .all()
        .forEach(
            m ->
                out.put(
                    m.spec().name(),
                    merged(m.spec().labels(), added.getOrDefault(m.spec().name(), List.of()))));
    return out;
  }

  /**
   * The labels added in the store to a model this node serves that its served package does not
   * list, as this node last read them. Never blocks.
   */
  public List<String> addedTo(String name) {
    List<String> pkg = served.named(name).map(m -> m.spec().labels()).orElse(List.of());
    return added.getOrDefault(name, List.of()).stream().filter(l -> !pkg.contains(l)).toList();
  }

  /** Reads the added labels of every served model from the store (one listing each). Blocking. */
  public void refresh() throws StorageException {
    for (ServedModel m : served.all()) {
      String name = m.spec().name();
      added.put(name, List.copyOf(store.labelIds(name)));
    }
  }

  /**
   * Adds a label to a model's taxonomy. Blocking.
   *
   * @throws ApiException 404 {@code unknown_model} for a model neither served here nor in the
   *     store, 400 {@code invalid_label} for a label or description that breaks the rules, 409
   *     {@code label_exists} for a label the model's package or store already has (also the loser
   *     of two admins adding the same label at once)
   */
  public ModelLabel add(String name, String label, String description, String actor)
      throws StorageException {
    List<String> packageLabels = packageLabels(name);
    ModelLabel value;
    try {
      value = new ModelLabel(label, description, actor, clock.instant());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_label", e.getMessage());
    }
    if (packageLabels.contains(label)) {
      throw new ApiException(
          409,
          "label_exists",
          "model "
              + name
              + " already has label '"
              + label
              + "' in its package; labels are "
              + packageLabels);
    }
    try {
      store.addLabel(name, value);
    } catch (ConflictException e) {
      throw new ApiException(409, "label_exists", e.getMessage());
    }
    added.merge(name, List.of(label), (old, one) -> merged(old, one));
    return value;
  }

  /**
   * A model's labels with where each comes from: {@code {"label", "source": "package"|"added",
   * "description"?, "addedBy"?, "addedAt"?}}, package labels first. A label added in the store and
   * later shipped by a promoted package is listed once, as a package label with its description.
   * Blocking.
   *
   * @throws ApiException 404 {@code unknown_model}
   */
  public List<Map<String, Object>> describe(String name) throws StorageException {
    List<String> packageLabels = packageLabels(name);
    Map<String, ModelLabel> stored = new TreeMap<>();
    store.labels(name).forEach(l -> stored.put(l.label(), l));
    added.put(name, List.copyOf(stored.keySet()));
    List<Map<String, Object>> out = new ArrayList<>();
    for (String label : packageLabels) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("label", label);
      row.put("source", "package");
      Optional.ofNullable(stored.remove(label)).ifPresent(l -> put(row, l));
      out.add(row);
    }
    for (ModelLabel l : stored.values()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("label", l.label());
      row.put("source", "added");
      put(row, l);
      out.add(row);
    }
    return out;
  }

  /**
   * The labels a candidate of this model may learn: the package's, then those added in the store.
   * Blocking.
   */
  public List<String> taxonomy(String name) throws StorageException {
    return merged(packageLabels(name), store.labelIds(name));
  }

  private static void put(Map<String, Object> row, ModelLabel l) {
    row.put("description", l.description());
    row.put("addedBy", l.addedBy());
    row.put("addedAt", l.addedAt().toString());
  }

  /** The labels of the version this node serves, else of the store's live version. */
  private List<String> packageLabels(String name) throws StorageException {
    Optional<ServedModel> model = served.named(name);
    if (model.isPresent()) {
      return model.get().spec().labels();
    }
    try {
      Names.requireSegment("model name", name);
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("unknown_model", "no model of that name: " + e.getMessage());
    }
    Optional<LivePointer> live = store.live(name);
    if (live.isEmpty()) {
      throw ApiException.notFound(
          "unknown_model", "no model named " + name + " is loaded or in the store");
    }
    try {
      JsonNode spec = JSON.readTree(store.readFile(name, live.get().version(), "model.json"));
      List<String> labels = new ArrayList<>();
      spec.path("labels").forEach(l -> labels.add(l.asText()));
      return List.copyOf(labels);
    } catch (IOException e) {
      throw new StorageException(
          "model.json of " + name + " " + live.get().version() + " is not JSON: " + e.getMessage(),
          e);
    }
  }

  private static List<String> merged(List<String> first, List<String> then) {
    LinkedHashSet<String> all = new LinkedHashSet<>(first);
    all.addAll(then);
    return List.copyOf(all);
  }
}
