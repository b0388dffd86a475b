package org.cityvision.core.classify;

import org.cityvision.core.VisionException;

/** The classifier was closed before (or while) the request could run. */
public final class ClassifierClosedException extends VisionException {
  private static final long serialVersionUID = 1L;

  public ClassifierClosedException(String message) {
    super(message);
  }
}
