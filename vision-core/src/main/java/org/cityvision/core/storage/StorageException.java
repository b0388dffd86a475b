package org.cityvision.core.storage;

import org.cityvision.core.VisionException;

/** A storage operation failed; the subclasses say why when a caller can act on it. */
public class StorageException extends VisionException {
  private static final long serialVersionUID = 1L;

  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
