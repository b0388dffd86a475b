package org.cityvision.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.cityvision.core.model.ModelPackage;

/**
 * Finds ../shared (datasets and pretrained backbones). Tests that need it call these methods, which
 * skip the test with a clear message when it is absent; tests of the product itself must not.
 */
public final class SharedData {
  /** The folder of the project's default backbone under {@code pretrained/}. */
  public static final String EDGE_TPU = "mobilenet_edgetpu_0.75_224";

  private SharedData() {}

  /**
   * The shared folder: system property {@code cityvision.shared}, else ../shared from the working
   * dir.
   */
  public static Path root() {
    String configured = System.getProperty("cityvision.shared");
    if (configured != null && Files.isDirectory(Path.of(configured))) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("../shared").normalize();
      if (Files.isDirectory(candidate.resolve("pretrained"))) {
        return candidate;
      }
    }
    return Path.of("../shared").toAbsolutePath().normalize();
  }

  /** A pretrained backbone folder, or skips the test. */
  public static Path pretrained(String name) {
    Optional<Path> dir = findPretrained(name);
    assumeTrue(
        dir.isPresent(),
        "skipped: needs ../shared/pretrained/"
            + name
            + " (not present at "
            + root().resolve("pretrained").resolve(name)
            + ")");
    return dir.get();
  }

  /** A pretrained backbone folder, when ../shared has it. */
  public static Optional<Path> findPretrained(String name) {
    Path dir = root().resolve("pretrained").resolve(name);
    return Files.isRegularFile(dir.resolve(ModelPackage.BACKBONE_FILE))
        ? Optional.of(dir)
        : Optional.empty();
  }

  /** The EdgeTPU-0.75 backbone, the project's default. */
  public static Path edgeTpu() {
    return pretrained(EDGE_TPU);
  }

  /** A dataset folder under ../shared/datasets (e.g. {@code waste}), or skips the test. */
  public static Path dataset(String name) {
    Path dir = root().resolve("datasets").resolve(name);
    assumeTrue(
        Files.isDirectory(dir),
        "skipped: needs ../shared/datasets/" + name + " (not present at " + dir + ")");
    return dir;
  }
}
