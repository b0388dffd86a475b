package org.cityvision.models;

/** A training or evaluation run cannot go on; the message says which input or step failed. */
public class ModelRunException extends Exception {
  public ModelRunException(String message) {
    super(message);
  }

  public ModelRunException(String message, Throwable cause) {
    super(message, cause);
  }
}
