package org.cityvision.serving.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cityvision.core.model.Task;

/**
 * Which model package seeds each task, and how the node follows the live versions in the store.
 *
 * @param waste the sorting machines' model folder; relative paths are under the installation home;
 *     empty disables the task
 * @param urban the camera model folder
 * @param required refuse to start when a configured package is missing (off: start without it and
 *     answer 503 {@code model_unavailable} for its task)
 * @param watchMs how often the node reads each model's live pointer in the store and swaps to a
 *     newly promoted version (200..60000 ms)
 */
public record ModelsConfig(String waste, String urban, boolean required, long watchMs) {
  /** The default {@link #watchMs}: a promotion reaches every node within a few seconds. */
  public static final long DEFAULT_WATCH_MS = 2_000;

  public ModelsConfig {
    waste = waste == null ? "" : waste.strip();
    urban = urban == null ? "" : urban.strip();
    Bounds.require("models.watchMs", watchMs, 200, 60_000);
  }

  /** Folders and requirement, following the store every {@link #DEFAULT_WATCH_MS}. */
  public ModelsConfig(String waste, String urban, boolean required) {
    this(waste, urban, required, DEFAULT_WATCH_MS);
  }

  static ModelsConfig defaults() {
    return new ModelsConfig("models/waste", "models/urban", true, DEFAULT_WATCH_MS);
  }

  public ModelsConfig withWatchMs(long value) {
    return new ModelsConfig(waste, urban, required, value);
  }

  /** Task → package folder, resolved against {@code home}, for the enabled tasks. */
  public Map<String, Path> packages(Path home) {
    Map<String, Path> out = new LinkedHashMap<>();
    if (!waste.isEmpty()) {
      out.put(Task.WASTE.id(), home.resolve(waste).normalize());
    }
    if (!urban.isEmpty()) {
      out.put(Task.URBAN.id(), home.resolve(urban).normalize());
    }
    return out;
  }
}
