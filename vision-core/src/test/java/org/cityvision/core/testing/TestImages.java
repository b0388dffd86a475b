package org.cityvision.core.testing;

import org.cityvision.core.image.SyntheticScene;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

/** Generated test images, so that product tests need no dataset. */
public final class TestImages {
  private TestImages() {}

  /** A camera-like scene, deterministic per seed; the caller releases it. */
  public static Mat scene(int width, int height, long seed) {
    return SyntheticScene.render(width, height, seed);
  }

  /** JPEG bytes (quality 90) of {@link #scene}. */
  public static byte[] jpeg(int width, int height, long seed) {
    return SyntheticScene.jpeg(width, height, seed, 90);
  }

  /** PNG bytes of {@link #scene}. */
  public static byte[] png(int width, int height, long seed) {
    Mat mat = scene(width, height, seed);
    try {
      return encode(mat, ".png", Imgcodecs.IMWRITE_PNG_COMPRESSION, 3);
    } finally {
      mat.release();
    }
  }

  public static byte[] encode(Mat mat, String extension, int param, int value) {
    return SyntheticScene.encode(mat, extension, param, value);
  }
}
