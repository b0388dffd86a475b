package org.cityvision.core.image;

/** The image is of an accepted format but truncated or corrupt, so it cannot be decoded whole. */
public final class CorruptImageException extends ImageException {
  private static final long serialVersionUID = 1L;

  public CorruptImageException(String message) {
    super(message);
  }

  public CorruptImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
