package org.cityvision.core.storage;

/** MinIO is unavailable and the local spool has no room left for this write (HTTP 503). */
public class SpoolFullException extends StorageException {
  private static final long serialVersionUID = 1L;

  public SpoolFullException(String message) {
    super(message);
  }

  public SpoolFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
