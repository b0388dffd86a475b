package org.cityvision.core;

/**
 * The checked base exception of {@code vision-core}. Each package throws a few specific subclasses
 * (an unreadable image, a model package that does not load, a store that refuses a write, ...) so
 * that callers such as the HTTP layer can map each to a status without parsing messages.
 */
public class VisionException extends Exception {
  private static final long serialVersionUID = 1L;

  public VisionException(String message) {
    super(message);
  }

  public VisionException(String message, Throwable cause) {
    super(message, cause);
  }
}
