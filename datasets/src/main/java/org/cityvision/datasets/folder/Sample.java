package org.cityvision.datasets.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One labelled image of a dataset.
 *
 * @param id stable identifier, {@code <class>/<file name>} prefixed by the extra folder's name for
 *     extra data; splits are derived from it, so it must not depend on where the dataset lives
 * @param file the image file
 * @param label its class (the folder it is in)
 * @param source where the image came from (the manifest's {@code source} column, else {@code
 *     unknown})
 * @param group a grouping key from the manifest's {@code group} column, or empty; samples sharing a
 *     group are kept in one split
 */
public record Sample(String id, Path file, String label, String source, String group) {
  public static final String UNKNOWN_SOURCE = "unknown";

  public Sample {
    if (id == null || id.isBlank() || file == null || label == null || label.isBlank()) {
      throw new IllegalArgumentException("id, file and label are required");
    }
    source = source == null || source.isBlank() ? UNKNOWN_SOURCE : source;
    group = group == null ? "" : group;
  }

  /** The file's bytes, as a client would send them. */
  public byte[] read() throws IOException {
    return Files.readAllBytes(file);
  }

  public String fileName() {
    return file.getFileName().toString();
  }
}
