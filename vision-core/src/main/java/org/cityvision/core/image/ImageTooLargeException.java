package org.cityvision.core.image;

/** The body or the declared dimensions exceed the configured {@link ImageLimits}. */
public final class ImageTooLargeException extends ImageException {
  private static final long serialVersionUID = 1L;

  public ImageTooLargeException(String message) {
    super(message);
  }
}
