package org.cityvision.core.storage;

/**
 * Bytes read back do not match the SHA-256 written with them: the object or spool entry is corrupt.
 */
public class ChecksumMismatchException extends StorageException {
  private static final long serialVersionUID = 1L;

  public ChecksumMismatchException(String message) {
    super(message);
  }

  public ChecksumMismatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
