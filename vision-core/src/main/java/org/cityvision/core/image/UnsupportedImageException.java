package org.cityvision.core.image;

/** The bytes are not a JPEG, PNG or WebP image (for example GIF, HTML, text or random bytes). */
public final class UnsupportedImageException extends ImageException {
  private static final long serialVersionUID = 1L;

  public UnsupportedImageException(String message) {
    super(message);
  }
}
