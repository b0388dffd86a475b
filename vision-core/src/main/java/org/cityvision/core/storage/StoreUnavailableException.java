package org.cityvision.core.storage;

/**
 * MinIO could not be reached, timed out or answered 5xx; the operation may succeed later (HTTP
 * 503).
 */
public class StoreUnavailableException extends StorageException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message) {
    super(message);
  }

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
