package org.cityvision.core.model;

import java.util.Optional;

/**
 * The tasks CityVision answers, each with a shipped model ({@code models/<id>}) and an API path
 * ({@code /v1/classify/<id>}). A model package names its task by {@link #id} in {@code model.json}.
 */
public enum Task {
  /** Sorting machines: which material an item is. */
  WASTE("waste"),
  /** City cameras: which urban issue a frame shows, if any. */
  URBAN("urban");

  private final String id;

  Task(String id) {
    this.id = id;
  }

  /** The lower-case name used in packages, paths, configuration keys and the command line. */
  public String id() {
    return id;
  }

  /** The task named {@code id}, if CityVision has it. */
  public static Optional<Task> of(String id) {
    for (Task t : values()) {
      if (t.id.equals(id)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return id;
  }
}
