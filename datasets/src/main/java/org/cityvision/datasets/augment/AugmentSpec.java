package org.cityvision.datasets.augment;

/**
 * How strongly to augment. The crop is taken relative to the whole image and then squashed to the
 * model's input, as serving squashes whole images, so that augmented views stay near what serving
 * shows the model.
 *
 * @param minArea smallest crop, as a fraction of the image's area (1 = never crop)
 * @param aspectJitter crop aspect ratio varies in [1/aspectJitter, aspectJitter] times the image's
 * @param flipProbability horizontal flip
 * @param rotationDegrees rotation drawn from [-rotationDegrees, rotationDegrees], edges reflected
 * @param brightness additive brightness in [-brightness, brightness] of the 0..255 range, as a
 *     fraction
 * @param contrast contrast factor in [1 - contrast, 1 + contrast]
 * @param saturation saturation factor in [1 - saturation, 1 + saturation]
 * @param hueDegrees hue shift in [-hueDegrees, hueDegrees]
 * @param degradeProbability probability of a capture-chain degradation: downscale and upscale by a
 *     factor in [0.5, 1], slight blur, and JPEG re-encoding at a quality in [minJpegQuality, 95];
 *     it hides differences of processing between sources (TrashNet's {@code trash} class was
 *     re-encoded)
 * @param minJpegQuality lowest JPEG quality for re-encoding
 * @param equalizeProbability probability of contrast-limited adaptive histogram equalisation
 *     (CLAHE) of the view's lightness: when one source's images were equalised before publication
 *     (the graffiti source's were), equalising some views of every source stops that look from
 *     marking the class
 */
public record AugmentSpec(
    double minArea,
    double aspectJitter,
    double flipProbability,
    double rotationDegrees,
    double brightness,
    double contrast,
    double saturation,
    double hueDegrees,
    double degradeProbability,
    int minJpegQuality,
    double equalizeProbability) {

  /** No change: the view is the whole image, as served. */
  public static final AugmentSpec NONE = new AugmentSpec(1, 1, 0, 0, 0, 0, 0, 0, 0, 95, 0);

  /** The project's default for fine-tuning. */
  public static AugmentSpec standard() {
    return new AugmentSpec(0.45, 1.3, 0.5, 12, 0.12, 0.2, 0.25, 6, 0.5, 55, 0);
  }

  /**
   * Milder crops, colours and degradation: for end-to-end fine-tuning, where each image is seen
   * once per epoch in a fresh view and {@link #standard()} keeps the training loss well above
   * validation's.
   */
  public static AugmentSpec light() {
    return new AugmentSpec(0.65, 1.15, 0.5, 8, 0.08, 0.12, 0.15, 4, 0.25, 65, 0);
  }

  /**
   * {@link #light()} with the looks some sources carry and others lack spread over every source:
   * crops stretched up to 1.5× either way (one urban source's photos were stretched to squares),
   * adaptive equalisation on 30% of views (that source's were also equalised), and a degraded
   * capture chain on half the views, down to JPEG quality 40 (TrashNet's {@code trash} photos went
   * through their own resize and re-encoding, and web photos of every class are compressed: a model
   * must not read the class from compression).
   */
  public static AugmentSpec wide() {
    return new AugmentSpec(0.65, 1.5, 0.5, 8, 0.08, 0.12, 0.15, 4, 0.5, 40, 0.3);
  }

  /** A named preset: {@code standard}, {@code light}, {@code wide} or {@code none}. */
  public static AugmentSpec named(String name) {
    return switch (name) {
      case "standard" -> standard();
      case "light" -> light();
      case "wide" -> wide();
      case "none" -> NONE;
      default ->
          throw new IllegalArgumentException(
              "augmentation must be standard, light, wide or none, got '" + name + "'");
    };
  }

  public AugmentSpec {
    if (!(minArea > 0 && minArea <= 1)) {
      throw new IllegalArgumentException("minArea must be in (0, 1], got " + minArea);
    }
    if (!(aspectJitter >= 1 && aspectJitter <= 3)) {
      throw new IllegalArgumentException("aspectJitter must be in [1, 3], got " + aspectJitter);
    }
    probability("flipProbability", flipProbability);
    probability("degradeProbability", degradeProbability);
    probability("equalizeProbability", equalizeProbability);
    if (rotationDegrees < 0 || rotationDegrees > 45) {
      throw new IllegalArgumentException(
          "rotationDegrees must be in [0, 45], got " + rotationDegrees);
    }
    if (brightness < 0
        || brightness > 0.5
        || contrast < 0
        || contrast > 0.9
        || saturation < 0
        || saturation > 0.9
        || hueDegrees < 0
        || hueDegrees > 90) {
      throw new IllegalArgumentException(
          "colour jitter out of range: brightness "
              + brightness
              + " (0..0.5), contrast "
              + contrast
              + " (0..0.9), saturation "
              + saturation
              + " (0..0.9), hue "
              + hueDegrees
              + " (0..90)");
    }
    if (minJpegQuality < 10 || minJpegQuality > 95) {
      throw new IllegalArgumentException(
          "minJpegQuality must be in [10, 95], got " + minJpegQuality);
    }
  }

  private static void probability(String name, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], got " + p);
    }
  }

  public boolean isNone() {
    return equals(NONE);
  }
}
