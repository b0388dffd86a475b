package org.cityvision.core.batch;

import org.cityvision.core.VisionException;

/** A batch job cannot be started, resumed or found; the subclasses say why. */
public class BatchException extends VisionException {
  private static final long serialVersionUID = 1L;

  public BatchException(String message) {
    super(message);
  }
}
