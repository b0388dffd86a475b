package org.cityvision.serving.inference;

/** A request names a task this system does not have (the API answers 404 {@code unknown_task}). */
public final class UnknownTaskException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnknownTaskException(String message) {
    super(message);
  }
}
