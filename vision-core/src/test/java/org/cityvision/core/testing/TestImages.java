package org.cityvision.core.testing;

import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/** Generates test images with OpenCV, so that product tests need no dataset. */
public final class TestImages {
  private TestImages() {}

  /**
   * A camera-like scene: gradient sky, a road, shapes and sensor noise, deterministic per seed.
   * Compresses like a real frame (not a flat colour).
   */
  public static Mat scene(int width, int height, long seed) {
    OpenCvRuntime.load();
    Random random = new Random(seed);
    Mat mat = new Mat(height, width, CvType.CV_8UC3);
    int horizon = height / 2 + random.nextInt(Math.max(1, height / 8));
    for (int y = 0; y < height; y += Math.max(1, height / 64)) {
      double t = (double) y / height;
      Scalar colour = y < horizon
          ? new Scalar(200 - 80 * t, 170 - 40 * t, 120 + 40 * t)
          : new Scalar(70 + 30 * t, 72 + 30 * t, 75 + 30 * t);
      Imgproc.rectangle(mat, new Point(0, y), new Point(width, y + height / 64.0 + 1), colour, -1);
    }
    for (int i = 0; i < 12; i++) {
      Point a = new Point(random.nextInt(width), random.nextInt(height));
      Point b = new Point(a.x + random.nextInt(Math.max(1, width / 4)), a.y + random.nextInt(Math.max(1, height / 4)));
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

  /** JPEG bytes of {@link #scene}. */
  public static byte[] jpeg(int width, int height, long seed) {
    Mat mat = scene(width, height, seed);
    try {
      return encode(mat, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90);
    } finally {
      mat.release();
    }
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

  /** Encodes a Mat with OpenCV. */
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
