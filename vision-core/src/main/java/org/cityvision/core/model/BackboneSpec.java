package org.cityvision.core.model;

/**
 * The pretrained backbone a model was fine-tuned from and the shape of its features.
 *
 * @param name the backbone's folder name in ../shared/pretrained, e.g. {@code
 *     mobilenet_edgetpu_0.75_224}
 * @param featureSize the length of its pooled feature vector (1280 for both shipped backbones)
 * @param gflopsPerImage forward cost of the whole model at the input size, for the physical-limit
 *     figure; 0 when unknown (the backbone came without a graph to count it from)
 */
public record BackboneSpec(String name, int featureSize, double gflopsPerImage) {
  public BackboneSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("backbone name is required");
    }
    if (featureSize <= 0) {
      throw new IllegalArgumentException("featureSize must be positive, got " + featureSize);
    }
    if (gflopsPerImage < 0) {
      throw new IllegalArgumentException(
          "gflopsPerImage must not be negative, got " + gflopsPerImage);
    }
  }
}
