package org.cityvision.core.image;

/**
 * What the header of an encoded image says, read without decoding pixels.
 *
 * @param format the format identified by magic bytes
 * @param width stored width in pixels (before EXIF orientation)
 * @param height stored height in pixels (before EXIF orientation)
 * @param orientation the EXIF orientation, 1 (upright) to 8; 1 when absent
 */
public record ImageHeader(ImageFormat format, int width, int height, int orientation) {
  public ImageHeader {
    if (format == null) {
      throw new IllegalArgumentException("format is required");
    }
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "dimensions must be positive, got " + width + "x" + height);
    }
    if (orientation < 1 || orientation > 8) {
      throw new IllegalArgumentException("EXIF orientation must be 1..8, got " + orientation);
    }
  }

  /** Whether the orientation swaps width and height (rotations by 90 or 270 degrees). */
  public boolean transposed() {
    return orientation >= 5;
  }

  /** Width as displayed, after orientation. */
  public int displayWidth() {
    return transposed() ? height : width;
  }

  /** Height as displayed, after orientation. */
  public int displayHeight() {
    return transposed() ? width : height;
  }

  public long pixels() {
    return (long) width * height;
  }
}
