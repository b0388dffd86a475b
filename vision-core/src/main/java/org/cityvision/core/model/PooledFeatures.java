package org.cityvision.core.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One image's pooled backbone features, kept in float16 ({@link HalfFloat}, little-endian) with
 * what produced them: the model and version that classified the image and the {@link
 * BackboneDigest} of its backbone and input view. Features are interchangeable exactly when their
 * {@code backbone} digests are equal, whatever the model version (a head-mode candidate keeps its
 * parent's backbone, and so its digest); features of another backbone or input view are never mixed
 * with them.
 *
 * <p>2 bytes per feature: 2,560 bytes for the 1,280 features of the shipped backbones. Immutable
 * and thread-safe: the array is copied in and out.
 *
 * @param model the model that classified the image
 * @param version its version
 * @param backbone {@link BackboneDigest} of the backbone that computed the features
 * @param float16 the features as IEEE 754 half floats, little-endian, 2 bytes each
 */
public record PooledFeatures(String model, String version, String backbone, byte[] float16) {
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  public PooledFeatures {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    if (backbone == null || !DIGEST.matcher(backbone).matches()) {
      throw new IllegalArgumentException(
          "backbone must be a digest 'sha256:' + 64 lowercase hex digits, got " + backbone);
    }
    if (float16 == null || float16.length == 0 || float16.length % 2 != 0) {
      throw new IllegalArgumentException(
          "float16 must hold a positive, even number of bytes (2 per feature), got "
              + (float16 == null ? "none" : float16.length));
    }
    float16 = float16.clone();
  }

  /** {@code values} rounded to float16 (to nearest, ties to even; beyond ±65504 saturated). */
  public static PooledFeatures of(String model, String version, String backbone, float[] values) {
    return of(model, version, backbone, values, 0, values.length);
  }

  /** {@code values[from, from + size)} rounded to float16. */
  public static PooledFeatures of(
      String model, String version, String backbone, float[] values, int from, int size) {
    ByteBuffer out = ByteBuffer.allocate(size * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < from + size; i++) {
      out.putShort(HalfFloat.fromFloat(values[i]));
    }
    return new PooledFeatures(model, version, backbone, out.array());
  }

  @Override
  public byte[] float16() {
    return float16.clone();
  }

  /** How many features. */
  public int size() {
    return float16.length / 2;
  }

  /** The features as floats. */
  public float[] values() {
    float[] out = new float[size()];
    ByteBuffer in = ByteBuffer.wrap(float16).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < out.length; i++) {
      out[i] = HalfFloat.toFloat(in.getShort());
    }
    return out;
  }

  /**
   * Whether these features can stand for the features of a backbone with this digest and feature
   * size: the same digest, and the same length.
   */
  public boolean matches(String backboneDigest, int featureSize) {
    return backbone.equals(backboneDigest) && size() == featureSize;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PooledFeatures p
        && model.equals(p.model)
        && version.equals(p.version)
        && backbone.equals(p.backbone)
        && Arrays.equals(float16, p.float16);
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, version, backbone, Arrays.hashCode(float16));
  }

  @Override
  public String toString() {
    return "PooledFeatures[" + model + " " + version + ", " + backbone + ", " + size() + " values]";
  }
}
