package org.cityvision.core.image;

import java.util.Random;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Camera-like synthetic frames (sky, road, objects, sensor noise), deterministic per seed. They
 * compress like real frames, so benchmarks, load tests and self-checks can run without any dataset.
 *
 * <p>Stateless and thread-safe; returned Mats belong to the caller.
 */
public final class SyntheticScene {
  private SyntheticScene() {}

  /** A BGR scene; the caller releases it. */
  public static Mat render(int width, int height, long seed) {
    OpenCvRuntime.load();
    Random random = new Random(seed);
    Mat mat = new Mat(height, width, CvType.CV_8UC3);
    int horizon = height / 2 + random.nextInt(Math.max(1, height / 8));
    int band = Math.max(1, height / 64);
    for (int y = 0; y < height; y += band) {
      double t = (double) y / height;
      Scalar colour =
          y < horizon
              ? new Scalar(200 - 80 * t, 170 - 40 * t, 120 + 40 * t)
              : new Scalar(70 + 30 * t, 72 + 30 * t, 75 + 30 * t);
      Imgproc.rectangle(mat, new Point(0, y), new Point(width, y + band), colour, -1);
    }
    for (int i = 0; i < 12; i++) {
      Point a = new Point(random.nextInt(width), random.nextInt(height));
      Point b =
          new Point(
              a.x + random.nextInt(Math.max(1, width / 4)),
              a.y + random.nextInt(Math.max(1, height / 4)));
      Scalar c = new Scalar(random.nextInt(256), random.nextInt(256), random.nextInt(256));
      if (i % 2 == 0) {
        Imgproc.rectangle(mat, a, b, c, -1);
      } else {
        Imgproc.circle(mat, a, 5 + random.nextInt(Math.max(6, width / 12)), c, -1);
      }
    }
    Mat noise = new Mat(height, width, CvType.CV_8UC3);
    try {
      Core.randn(noise, 0, 12);
      Core.add(mat, noise, mat);
    } finally {
      noise.release();
    }
    return mat;
  }

  /**
   * What a fixed camera sends of a still scene: {@code scene} scaled in brightness by {@code gain},
   * with new Gaussian sensor noise of {@code sigma} grey levels (seeded), as a JPEG of {@code
   * quality}.
   */
  public static byte[] noisyJpeg(Mat scene, double gain, double sigma, int seed, int quality) {
    Mat out = new Mat();
    Mat noise = new Mat(scene.size(), CvType.CV_16SC3);
    Mat wide = new Mat();
    try {
      scene.convertTo(out, -1, gain, 0);
      Core.setRNGSeed(seed);
      Core.randn(noise, 0, sigma);
      out.convertTo(wide, CvType.CV_16SC3);
      Core.add(wide, noise, wide);
      wide.convertTo(out, CvType.CV_8UC3);
      return encode(out, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, quality);
    } finally {
      out.release();
      noise.release();
      wide.release();
    }
  }

  /** JPEG bytes of a scene at the given quality. */
  public static byte[] jpeg(int width, int height, long seed, int quality) {
    Mat mat = render(width, height, seed);
    try {
      return encode(mat, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, quality);
    } finally {
      mat.release();
    }
  }

  /** Encodes a Mat with OpenCV ({@code .jpg}, {@code .png}, {@code .webp}) and one parameter. */
  public static byte[] encode(Mat mat, String extension, int param, int value) {
    MatOfByte out = new MatOfByte();
    MatOfInt params = new MatOfInt(param, value);
    try {
      if (!Imgcodecs.imencode(extension, mat, out, params)) {
        throw new IllegalStateException("OpenCV cannot encode " + extension);
      }
      return out.toArray();
    } finally {
      out.release();
      params.release();
    }
  }
}
