package org.cityvision.serving.inference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.serving.config.InferenceConfig;
import org.cityvision.serving.log.JsonLog;

/**
 * The models this node serves, one per task, loaded at start. A task whose package is missing is
 * either an error (when models are required) or simply not served ({@code model_unavailable}).
 *
 * <p>Thread-safe after construction. <b>Must be closed</b>: closing stops every classifier after it
 * finishes the images already queued.
 */
public final class ModelRegistry implements AutoCloseable {
  private final Map<String, ServedModel> byTask;
  private final Map<String, String> missing;

  private ModelRegistry(Map<String, ServedModel> byTask, Map<String, String> missing) {
    this.byTask = Map.copyOf(byTask);
    this.missing = Map.copyOf(missing);
  }

  /**
   * Loads the packages. Blocking (seconds per model).
   *
   * @param packages task → package folder
   * @param required fail when a package is missing or does not load
   * @throws ModelException naming the task, the folder and what is wrong
   */
  public static ModelRegistry load(Map<String, Path> packages, boolean required, InferenceConfig inference,
      ImageLimits limits) throws ModelException {
    Map<String, ServedModel> loaded = new LinkedHashMap<>();
    Map<String, String> missing = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Path> e : packages.entrySet()) {
        String task = e.getKey();
        Path dir = e.getValue();
        if (!Files.isRegularFile(dir.resolve(ModelPackage.SPEC_FILE))) {
          String why = "no model package for task '" + task + "' at " + dir + " (no " + ModelPackage.SPEC_FILE + ")";
          if (required) {
            throw new ModelException(why + "; train or install it, point models." + task
                + " (CITYVISION_MODELS_" + task.toUpperCase(java.util.Locale.ROOT) + ") at a package, or set "
                + "models.required=false to serve without it");
          }
          missing.put(task, why);
          JsonLog.get().warn("model_missing", "task", task, "dir", dir.toString());
          continue;
        }
        ModelPackage pkg = ModelPackage.read(dir);
        if (!pkg.spec().task().equals(task)) {
          throw new ModelException("model package " + dir + " answers task '" + pkg.spec().task() + "', not '"
              + task + "'");
        }
        long t0 = System.nanoTime();
        Classifier classifier = Classifier.open(pkg, inference.classifierOptions(limits));
        loaded.put(task, new ServedModel(task, pkg, classifier, inference.admitted()));
        JsonLog.get().info("model_loaded", "task", task, "model", pkg.spec().name(), "version",
            pkg.spec().version(), "ms", (System.nanoTime() - t0) / 1_000_000);
      }
    } catch (ModelException | RuntimeException e) {
      loaded.values().forEach(m -> m.classifier().close());
      throw e;
    }
    return new ModelRegistry(loaded, missing);
  }

  /** A registry with no models (tests of everything that needs none). */
  public static ModelRegistry empty() {
    return new ModelRegistry(Map.of(), Map.of());
  }

  public Optional<ServedModel> task(String task) {
    return Optional.ofNullable(byTask.get(task));
  }

  /** By model name (names and tasks usually coincide). */
  public Optional<ServedModel> named(String name) {
    return byTask.values().stream().filter(m -> m.spec().name().equals(name)).findFirst();
  }

  public Collection<ServedModel> all() {
    List<ServedModel> out = new ArrayList<>(byTask.values());
    out.sort(java.util.Comparator.comparing(ServedModel::task));
    return out;
  }

  /** Tasks configured but not served, with why. */
  public Map<String, String> missing() {
    return missing;
  }

  @Override
  public void close() {
    byTask.values().forEach(m -> m.classifier().close());
  }
}
