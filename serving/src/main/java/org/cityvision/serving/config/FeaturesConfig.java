package org.cityvision.serving.config;

/**
 * Whether each stored classification keeps the image's pooled backbone features (float16, 2.5 KB
 * for the shipped backbones) inside its result, so that head candidates read them instead of
 * running the backbone over every verdict image again (docs/LEARNING.md).
 *
 * @param keep keep them (default); off, results are stored without features and candidates compute
 *     every verdict's features from its image
 */
public record FeaturesConfig(boolean keep) {
  public static FeaturesConfig defaults() {
    return new FeaturesConfig(true);
  }
}
