package org.cityvision.serving.config;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cityvision.core.model.Task;

/**
 * Where the installation lives: the repository root that holds {@code models/}. The launcher sets
 * {@code cityvision.home}; otherwise the working directory (or a parent) that has {@code models/}.
 */
public final class Home {
  private Home() {}

  public static Path root() {
    String configured = System.getProperty("cityvision.home");
    if (configured != null) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("models").resolve(Task.WASTE.id()))) {
        return dir;
      }
    }
    return Path.of("").toAbsolutePath();
  }

  /** The shipped model package for a task: {@code models/<task>} under the home. */
  public static Path shippedModel(String task) {
    return root().resolve("models").resolve(task);
  }

  /**
   * ../shared beside the home (datasets and pretrained backbones), present on developer machines
   * and CI.
   */
  public static Path shared() {
    String configured = System.getProperty("cityvision.shared");
    return configured != null ? Path.of(configured) : root().resolve("../shared").normalize();
  }
}
