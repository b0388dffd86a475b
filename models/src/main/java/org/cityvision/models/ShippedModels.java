package org.cityvision.models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the shipped model packages live: {@code models/<task>/} in the repository (next to this
 * module's pom). Entry points ({@code serve}, {@code classify}) load them from here by default.
 *
 * <p>Stateless and thread-safe.
 */
public final class ShippedModels {
  private ShippedModels() {}

  /**
   * The shipped package for {@code task}, looked up as {@code models/<task>} from the working
   * directory and its parents (so it works from the repository root and from a module folder).
   */
  public static Optional<Path> find(String task) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      for (Path candidate : List.of(dir.resolve("models").resolve(task), dir.resolve(task))) {
        if (Files.isRegularFile(candidate.resolve("model.json"))
            && candidate.getParent().getFileName().toString().equals("models")) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }
}
