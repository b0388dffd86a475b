package org.cityvision.core.quality;

/**
 * What a camera's healthy frames look like: learnt from its first frames and then followed slowly,
 * from frames without any fault only, so that a foggy, plain or dark scene is that camera's normal
 * and not a fault.
 *
 * <p>Immutable and thread-safe.
 *
 * @param frames healthy frames folded in so far (0: nothing learnt yet)
 * @param width the frame width the baseline belongs to (a new size starts a new baseline)
 * @param height the frame height the baseline belongs to
 * @param sharpness the typical {@link FrameAnalysis#sharpness()} (a geometric running mean)
 * @param meanLuma the typical mean luminance (0..255)
 * @param texture the typical block texture, as {@link FrameAnalysis#texture()}; {@code null} when
 *     empty
 * @param reference the reference scene; {@code null} when empty
 */
public record CameraBaseline(
    int frames,
    int width,
    int height,
    double sharpness,
    double meanLuma,
    float[] texture,
    SceneSignature reference) {
  public static final CameraBaseline EMPTY = new CameraBaseline(0, 0, 0, 0, 0, null, null);

  public CameraBaseline {
    if (frames < 0
        || width < 0
        || height < 0
        || !(sharpness >= 0)
        || Double.isInfinite(sharpness)
        || !(meanLuma >= 0 && meanLuma <= 255)) {
      throw new IllegalArgumentException(
          "baseline counts and sizes must be >= 0, sharpness finite and >= 0, mean "
              + "luminance 0..255; got "
              + frames
              + ", "
              + width
              + "x"
              + height
              + ", "
              + sharpness
              + ", "
              + meanLuma);
    }
    if (frames > 0 && (texture == null || reference == null)) {
      throw new IllegalArgumentException(
          "a baseline of " + frames + " frames needs its texture and reference");
    }
    if (texture != null && texture.length != FrameAnalysis.BLOCKS_X * FrameAnalysis.BLOCKS_Y) {
      throw new IllegalArgumentException(
          "baseline texture must have "
              + FrameAnalysis.BLOCKS_X * FrameAnalysis.BLOCKS_Y
              + " blocks, got "
              + texture.length);
    }
    texture = texture == null ? null : texture.clone();
  }

  @Override
  public float[] texture() {
    return texture == null ? null : texture.clone();
  }

  float textureAt(int block) {
    return texture[block];
  }

  /** Whether this baseline belongs to frames of the analysed size. */
  boolean fits(FrameAnalysis frame) {
    return frames == 0 || (width == frame.width() && height == frame.height());
  }

  /** This baseline with one more healthy frame folded in. */
  CameraBaseline learn(FrameAnalysis frame, double referenceWeight) {
    if (frames == 0) {
      return new CameraBaseline(
          1,
          frame.width(),
          frame.height(),
          frame.sharpness(),
          frame.meanLuma(),
          frame.texture(),
          frame.signature());
    }
    // Quick to learn at first, then slow: a week of drift moves it, one odd hour does not.
    double alpha = Math.max(1.0 / (frames + 1), 0.02);
    double logSharp =
        (1 - alpha) * Math.log(sharpness + 1e-6) + alpha * Math.log(frame.sharpness() + 1e-6);
    float[] mixed = new float[texture.length];
    for (int i = 0; i < mixed.length; i++) {
      mixed[i] = (float) ((1 - alpha) * texture[i] + alpha * frame.textureAt(i));
    }
    double weight = Math.max(1.0 / (frames + 1), referenceWeight);
    return new CameraBaseline(
        Math.min(frames + 1, 1_000_000),
        width,
        height,
        Math.max(0, Math.exp(logSharp) - 1e-6),
        (1 - alpha) * meanLuma + alpha * frame.meanLuma(),
        mixed,
        reference.blend(frame.signature(), weight));
  }
}
