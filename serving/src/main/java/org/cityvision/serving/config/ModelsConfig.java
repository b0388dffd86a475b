package org.cityvision.serving.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which model package serves each task.
 *
 * @param waste the sorting machines' model folder; relative paths are under the installation home;
 *     empty disables the task
 * @param urban the camera model folder
 * @param required refuse to start when a configured package is missing (off: start without it and
 *     answer 503 {@code model_unavailable} for its task)
 */
public record ModelsConfig(String waste, String urban, boolean required) {
  public ModelsConfig {
    waste = waste == null ? "" : waste.strip();
    urban = urban == null ? "" : urban.strip();
  }

  static ModelsConfig defaults() {
    return new ModelsConfig("models/waste", "models/urban", true);
  }

  /** Task → package folder, resolved against {@code home}, for the enabled tasks. */
  public Map<String, Path> packages(Path home) {
    Map<String, Path> out = new LinkedHashMap<>();
    if (!waste.isEmpty()) {
      out.put("waste", home.resolve(waste).normalize());
    }
    if (!urban.isEmpty()) {
      out.put("urban", home.resolve(urban).normalize());
    }
    return out;
  }
}
