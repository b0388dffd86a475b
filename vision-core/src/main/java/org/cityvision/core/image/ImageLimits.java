package org.cityvision.core.image;

/**
 * Limits applied before any pixel is decoded.
 *
 * @param maxBytes the largest encoded body accepted
 * @param maxPixels the largest width × height accepted, read from the header (decompression bombs)
 * @param maxSide the largest width or height accepted
 */
public record ImageLimits(long maxBytes, long maxPixels, int maxSide) {
  /** 10 MB bodies, 50 megapixels, 16384 pixels a side. */
  public static final ImageLimits DEFAULT = new ImageLimits(10L * 1024 * 1024, 50_000_000L, 16_384);

  public ImageLimits {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
    }
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
    }
    if (maxSide <= 0) {
      throw new IllegalArgumentException("maxSide must be positive, got " + maxSide);
    }
  }
}
