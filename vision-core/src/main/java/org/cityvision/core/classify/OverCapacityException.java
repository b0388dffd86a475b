package org.cityvision.core.classify;

import org.cityvision.core.VisionException;

/**
 * The inference queue is full: the request was refused at once rather than queued without bound.
 * Callers should retry later (HTTP maps it to 503 with {@code Retry-After}).
 */
public final class OverCapacityException extends VisionException {
  private static final long serialVersionUID = 1L;

  public OverCapacityException(String message) {
    super(message);
  }
}
