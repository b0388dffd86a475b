package org.cityvision.core.image;

import org.cityvision.core.VisionException;

/**
 * An image was refused. The subclass says why: not an image format we accept ({@link
 * UnsupportedImageException}), over a size limit ({@link ImageTooLargeException}), or
 * truncated/corrupt ({@link CorruptImageException}).
 */
public class ImageException extends VisionException {
  private static final long serialVersionUID = 1L;

  public ImageException(String message) {
    super(message);
  }

  public ImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
