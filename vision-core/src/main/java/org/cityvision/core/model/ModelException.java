package org.cityvision.core.model;

import org.cityvision.core.VisionException;

/** A model package is missing, malformed, or its weights do not load. */
public class ModelException extends VisionException {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
