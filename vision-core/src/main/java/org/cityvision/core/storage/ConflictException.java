package org.cityvision.core.storage;

/** A conditional write lost: another party created or changed the object first (HTTP 409). */
public class ConflictException extends StorageException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message) {
    super(message);
  }

  public ConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
