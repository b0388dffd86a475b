package org.cityvision.core.image;

import java.util.List;

/**
 * How a model wants its input: size, resize policy, channel order and per-channel normalisation
 * {@code (pixel - mean[c]) / std[c]} in the 0..255 pixel scale. Read from a model package's {@code
 * model.json}.
 */
public record InputSpec(
    int width,
    int height,
    ResizePolicy resize,
    ChannelOrder channelOrder,
    List<Double> mean,
    List<Double> std) {

  /** The backbones in ../shared/pretrained: 224x224 RGB scaled to [-1, 1]. */
  public static InputSpec mobileNet(int size) {
    return mobileNet(size, size);
  }

  /**
   * The backbones in ../shared/pretrained at {@code width × height} (multiples of 32), RGB scaled
   * to [-1, 1].
   */
  public static InputSpec mobileNet(int width, int height) {
    return new InputSpec(
        width,
        height,
        ResizePolicy.SQUASH,
        ChannelOrder.RGB,
        List.of(127.5, 127.5, 127.5),
        List.of(127.5, 127.5, 127.5));
  }

  public InputSpec {
    if (width < 8 || height < 8 || width > 4096 || height > 4096) {
      throw new IllegalArgumentException(
          "input size must be 8..4096 a side, got " + width + "x" + height);
    }
    if (resize == null || channelOrder == null) {
      throw new IllegalArgumentException("resize and channelOrder are required");
    }
    if (mean == null || mean.size() != 3 || std == null || std.size() != 3) {
      throw new IllegalArgumentException(
          "mean and std need 3 values each, got " + mean + " and " + std);
    }
    for (double s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("std values must be positive, got " + std);
      }
    }
    mean = List.copyOf(mean);
    std = List.copyOf(std);
  }

  /** Floats in one image's tensor: 3 × height × width. */
  public int tensorSize() {
    return 3 * width * height;
  }
}
