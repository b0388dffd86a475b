package org.cityvision.core.batch;

/**
 * The job's state refuses the request: already finished, still running elsewhere, or written by
 * another model version (HTTP 409).
 */
public final class JobConflictException extends BatchException {
  private static final long serialVersionUID = 1L;

  public JobConflictException(String message) {
    super(message);
  }
}
