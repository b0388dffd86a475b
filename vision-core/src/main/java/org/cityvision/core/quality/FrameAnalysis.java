package org.cityvision.core.quality;

/**
 * What one frame looks like to the quality checks, measured once by {@link FrameQuality} and judged
 * against a camera's history by {@link CameraHealth}.
 *
 * <p>Immutable and thread-safe (arrays are copied in and out).
 *
 * @param width the encoded image's width in pixels
 * @param height the encoded image's height in pixels
 * @param reduction how much smaller the working image was (1, 2, 4 or 8 a side)
 * @param histogram 256 luminance counts of the {@value #GRID_WIDTH}×{@value #GRID_HEIGHT} analysis
 *     image
 * @param sharpness fine detail relative to edge strength at working scale: mean squared Laplacian
 *     over mean squared gradient. Contrast, brightness and fog leave it unchanged; blur lowers it.
 *     Only comparable between frames of one camera.
 * @param texture per {@value #BLOCK}×{@value #BLOCK} block of the analysis image ({@value
 *     #BLOCKS_X} ×{@value #BLOCKS_Y}, row-major), the mean absolute gradient in grey levels: near 0
 *     where the view is uniform
 * @param signature the scene thumbnail for view and change comparisons
 * @param pixelHash a 64-bit hash of the working image's pixels: equal for pixel-identical frames
 */
public record FrameAnalysis(
    int width,
    int height,
    int reduction,
    int[] histogram,
    double sharpness,
    float[] texture,
    SceneSignature signature,
    long pixelHash) {
  public static final int GRID_WIDTH = 128;
  public static final int GRID_HEIGHT = 96;
  public static final int BLOCK = 8;
  public static final int BLOCKS_X = GRID_WIDTH / BLOCK;
  public static final int BLOCKS_Y = GRID_HEIGHT / BLOCK;

  public FrameAnalysis {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "frame size must be positive, got " + width + "x" + height);
    }
    if (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8) {
      throw new IllegalArgumentException("reduction must be 1, 2, 4 or 8, got " + reduction);
    }
    if (histogram == null || histogram.length != 256) {
      throw new IllegalArgumentException("histogram must have 256 bins");
    }
    if (!(sharpness >= 0) || Double.isInfinite(sharpness)) {
      throw new IllegalArgumentException("sharpness must be a finite value >= 0, got " + sharpness);
    }
    if (texture == null || texture.length != BLOCKS_X * BLOCKS_Y) {
      throw new IllegalArgumentException("texture must have " + BLOCKS_X * BLOCKS_Y + " blocks");
    }
    if (signature == null) {
      throw new IllegalArgumentException("signature is required");
    }
    histogram = histogram.clone();
    texture = texture.clone();
  }

  @Override
  public int[] histogram() {
    return histogram.clone();
  }

  @Override
  public float[] texture() {
    return texture.clone();
  }

  float textureAt(int block) {
    return texture[block];
  }

  private long pixels() {
    long n = 0;
    for (int c : histogram) {
      n += c;
    }
    return n;
  }

  /** Mean luminance, 0..255. */
  public double meanLuma() {
    long n = 0;
    long sum = 0;
    for (int v = 0; v < 256; v++) {
      n += histogram[v];
      sum += (long) v * histogram[v];
    }
    return n == 0 ? 0 : (double) sum / n;
  }

  /** Share of pixels whose luminance is at most {@code level}. */
  public double fractionAtOrBelow(int level) {
    long n = 0;
    for (int v = 0; v <= Math.min(255, level); v++) {
      n += histogram[v];
    }
    return (double) n / pixels();
  }

  /** Share of pixels whose luminance is at least {@code level}. */
  public double fractionAtOrAbove(int level) {
    long n = 0;
    for (int v = Math.max(0, level); v < 256; v++) {
      n += histogram[v];
    }
    return (double) n / pixels();
  }

  /** The luminance below which {@code share} (0..1) of the pixels lie. */
  public int percentile(double share) {
    long target = Math.round(share * pixels());
    long n = 0;
    for (int v = 0; v < 256; v++) {
      n += histogram[v];
      if (n >= target && n > 0) {
        return v;
      }
    }
    return 255;
  }

  /** The spread of luminance between the 5th and 95th percentile. */
  public int contrast() {
    return percentile(0.95) - percentile(0.05);
  }
}
