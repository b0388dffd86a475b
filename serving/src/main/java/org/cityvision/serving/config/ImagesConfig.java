package org.cityvision.serving.config;

import org.cityvision.core.image.ImageLimits;

/**
 * Limits on images, checked from the header before any pixel is decoded.
 *
 * @param maxPixels width × height (decompression bombs)
 * @param maxSide the longer side
 */
public record ImagesConfig(long maxPixels, int maxSide) {
  public ImagesConfig {
    Bounds.require("images.maxPixels", maxPixels, 1, 1L << 31);
    Bounds.require("images.maxSide", maxSide, 1, 65_535);
  }

  static ImagesConfig defaults() {
    return new ImagesConfig(ImageLimits.DEFAULT.maxPixels(), ImageLimits.DEFAULT.maxSide());
  }

  /** The decoder's limits; the byte limit is the HTTP body limit. */
  public ImageLimits limits(long maxBytes) {
    return new ImageLimits(maxBytes, maxPixels, maxSide);
  }
}
