package org.cityvision.core.storage;

/** The object, frame, flag, key or job asked for does not exist (HTTP 404). */
public class ObjectNotFoundException extends StorageException {
  private static final long serialVersionUID = 1L;

  public ObjectNotFoundException(String message) {
    super(message);
  }

  public ObjectNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
