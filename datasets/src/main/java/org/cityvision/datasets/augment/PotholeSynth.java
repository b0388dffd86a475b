package org.cityvision.datasets.augment;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Breaks the road of a street-level photo: one to three potholes in the lower part of the frame,
 * each an irregular hole squashed by perspective, darker inside with its far side in shadow and its
 * near side lit, a lighter broken lip, sometimes water in it, and cracks running out from its edge.
 *
 * <p>Why: public pothole photos come from few viewpoints (close-ups, one inspection vehicle), so a
 * model learns the viewpoint; holes made in a city's own kind of road scene teach "a hole in the
 * road". Size, shape, darkness, water and cracks vary per hole, so no single synthetic trait marks
 * the class.
 *
 * <p>Immutable and thread-safe; randomness comes only from the caller's {@link Random}. Returned
 * {@link Mat}s belong to the caller.
 */
public final class PotholeSynth {
  public PotholeSynth() {
    OpenCvRuntime.load();
  }

  /** A copy of {@code bgr} (8-bit, 3 channels) with potholes. */
  public Mat damage(Mat bgr, Random random) {
    if (bgr.type() != CvType.CV_8UC3) {
      throw new IllegalArgumentException("need an 8-bit BGR image, got type " + bgr.type());
    }
    Mat out = bgr.clone();
    int holes = 1 + random.nextInt(3);
    for (int k = 0; k < holes; k++) {
      hole(out, random);
    }
    return out;
  }

  private static void hole(Mat out, Random random) {
    int w = out.cols();
    int h = out.rows();
    double cx = w * (0.3 + 0.4 * random.nextDouble());
    double cy = h * (0.62 + 0.3 * random.nextDouble());
    double rx = w * (0.04 + 0.12 * random.nextDouble());
    double ry = rx * (0.3 + 0.35 * random.nextDouble());
    double[] radius = new double[28];
    for (int i = 0; i < radius.length; i++) {
      radius[i] = 0.7 + 0.6 * random.nextDouble();
    }
    List<Point> outline = new ArrayList<>();
    for (int i = 0; i < radius.length; i++) {
      double a = 2 * Math.PI * i / radius.length;
      double f =
          (radius[i]
                  + radius[(i + 1) % radius.length]
                  + radius[(i + radius.length - 1) % radius.length])
              / 3;
      outline.add(new Point(cx + Math.cos(a) * rx * f, cy + Math.sin(a) * ry * f));
    }
    Mat mask = Mat.zeros(h, w, CvType.CV_8U);
    Mat rim = new Mat();
    Mat soft = new Mat();
    Mat rimSoft = new Mat();
    Mat blurred = new Mat();
    Mat around = new Mat();
    MatOfPoint polygon = new MatOfPoint(outline.toArray(new Point[0]));
    try {
      Imgproc.fillPoly(mask, List.of(polygon), new Scalar(255));
      Mat lip =
          Imgproc.getStructuringElement(
              Imgproc.MORPH_ELLIPSE, new Size(5 + random.nextInt(6), 5 + random.nextInt(6)));
      Imgproc.dilate(mask, rim, lip);
      lip.release();
      Core.subtract(rim, mask, rim);
      Imgproc.GaussianBlur(mask, soft, new Size(0, 0), 0.8);
      Imgproc.GaussianBlur(rim, rimSoft, new Size(0, 0), 1.5);
      paint(out, soft, rimSoft, cy, ry, random);
      // Soften the painted edges a little, as a camera's optics would.
      Imgproc.GaussianBlur(out, blurred, new Size(0, 0), 0.7);
      Mat wide = Imgproc.getStructuringElement(Imgproc.MORPH_ELLIPSE, new Size(15, 15));
      Imgproc.dilate(mask, around, wide);
      wide.release();
      blurred.copyTo(out, around);
      cracks(out, cx, cy, rx, ry, random);
    } finally {
      mask.release();
      rim.release();
      soft.release();
      rimSoft.release();
      blurred.release();
      around.release();
      polygon.release();
    }
  }

  private static void paint(Mat out, Mat soft, Mat rimSoft, double cy, double ry, Random random) {
    int w = out.cols();
    int h = out.rows();
    byte[] px = new byte[w * h * 3];
    byte[] inside = new byte[w * h];
    byte[] edge = new byte[w * h];
    out.get(0, 0, px);
    soft.get(0, 0, inside);
    rimSoft.get(0, 0, edge);
    double dark = 0.3 + 0.35 * random.nextDouble();
    boolean water = random.nextDouble() < 0.25;
    double grain = 3 + 6 * random.nextDouble();
    double[] tint = {
      0.9 + 0.2 * random.nextDouble(),
      0.95 + 0.1 * random.nextDouble(),
      1 + 0.15 * random.nextDouble()
    };
    for (int i = 0; i < w * h; i++) {
      double a = (inside[i] & 255) / 255.0;
      double b = (edge[i] & 255) / 255.0;
      if (a == 0 && b == 0) {
        continue;
      }
      double n = random.nextGaussian() * grain;
      // The far side of the hole is in the near rim's shadow; the near side faces the light.
      double lit = Math.max(0, Math.min(1, (i / w - (cy - ry)) / (2 * ry)));
      double f = dark + 0.4 * lit * lit;
      for (int c = 0; c < 3; c++) {
        double v = px[i * 3 + c] & 255;
        double hole =
            water ? 0.5 * v * f + 0.5 * (60 + 40 * tint[c]) + n * 0.3 : v * f * tint[c] + n;
        double broken = Math.min(255, v * 1.15 + n * 0.5);
        double res = a * hole + (1 - a) * (b * broken + (1 - b) * v);
        px[i * 3 + c] = (byte) Math.max(0, Math.min(255, Math.round(res)));
      }
    }
    out.put(0, 0, px);
  }

  /**
   * Two to six dark cracks that wander out from the hole's edge, never above the road's horizon.
   */
  private static void cracks(Mat out, double cx, double cy, double rx, double ry, Random random) {
    int w = out.cols();
    int h = out.rows();
    int count = 2 + random.nextInt(5);
    for (int c = 0; c < count; c++) {
      double a = 2 * Math.PI * random.nextDouble();
      double x = cx + Math.cos(a) * rx;
      double y = cy + Math.sin(a) * ry;
      double dir = a;
      int steps = 5 + random.nextInt(20);
      int thick = 1 + random.nextInt(2);
      Scalar colour = Scalar.all(30 + random.nextInt(40));
      for (int s = 0; s < steps && y >= h * 0.55; s++) {
        dir += (random.nextDouble() - 0.5) * 0.9;
        double nx = x + Math.cos(dir) * (2 + 4 * random.nextDouble()) * w / 400.0;
        double ny = y + Math.sin(dir) * (1 + 2 * random.nextDouble()) * h / 300.0;
        Imgproc.line(out, new Point(x, y), new Point(nx, ny), colour, thick);
        x = nx;
        y = ny;
      }
    }
  }
}
