package org.cityvision.datasets.augment;

import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Floods a street-level photo: from a waterline across the lower part of the frame down, the road
 * becomes a muddy water surface that mirrors what stands above the line, broken by ripples, with
 * patches of silt, glints and a little of the submerged ground showing through. Whatever crosses
 * the line (cars, bins, people, kerbs) looks cut off at the water.
 *
 * <p>Why: the street-flood photos a city camera would see are scarce in public data (most flood
 * photos are aerial news pictures), while street scenes without floods are plentiful. A flood made
 * from a city's own kind of street scene teaches "water over the road" instead of "an aerial
 * photo", the shortcut a model otherwise learns. The waterline is never straight or level, the
 * reflection is compressed by perspective, and colour, clarity and ripple size vary per image, so
 * no single synthetic trait marks the class.
 *
 * <p>Immutable and thread-safe; randomness comes only from the caller's {@link Random}, so a seed
 * gives the same flood. Returned {@link Mat}s belong to the caller.
 */
public final class FloodSynth {
  /** The waterline's mean height, as a fraction of the frame from the top. */
  static final double LINE_MIN = 0.38;

  static final double LINE_MAX = 0.78;

  public FloodSynth() {
    OpenCvRuntime.load();
  }

  /** A flooded copy of {@code bgr} (8-bit, 3 channels). */
  public Mat flood(Mat bgr, Random random) {
    if (bgr.type() != CvType.CV_8UC3) {
      throw new IllegalArgumentException("need an 8-bit BGR image, got type " + bgr.type());
    }
    int w = bgr.cols();
    int h = bgr.rows();
    float[] line = waterline(w, h, random);

    // Reflection: each water pixel looks up the mirrored row above the line, compressed by
    // perspective and shifted sideways by ripples that grow towards the camera.
    float[] mapX = new float[w * h];
    float[] mapY = new float[w * h];
    double squash = 0.6 + 0.6 * random.nextDouble();
    double scale = Math.max(w, h) / 400.0;
    double rippleA = (0.5 + 3.5 * random.nextDouble()) * scale;
    double rippleL = (2.5 + 9 * random.nextDouble()) * scale;
    double phase1 = random.nextDouble() * 2 * Math.PI;
    double phase2 = random.nextDouble() * 2 * Math.PI;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        double depth = y - line[x];
        if (depth < 0) {
          mapX[i] = x;
          mapY[i] = y;
          continue;
        }
        double grow = 1 + 2 * depth / h;
        double dx =
            rippleA
                * grow
                * (Math.sin(2 * Math.PI * y / rippleL + phase1)
                    + 0.5 * Math.sin(2 * Math.PI * y / (rippleL * 2.3) + phase2 + x * 0.01));
        mapX[i] = (float) Math.min(w - 1, Math.max(0, x + dx));
        mapY[i] = (float) Math.min(h - 1, Math.max(0, line[x] - depth * squash));
      }
    }
    Mat mx = new Mat(h, w, CvType.CV_32F);
    Mat my = new Mat(h, w, CvType.CV_32F);
    Mat reflection = new Mat();
    try {
      mx.put(0, 0, mapX);
      my.put(0, 0, mapY);
      Imgproc.remap(bgr, reflection, mx, my, Imgproc.INTER_LINEAR);
      double sigmaY = (0.8 + 2.5 * random.nextDouble()) * scale;
      Imgproc.GaussianBlur(
          reflection, reflection, new Size(0, 0), 0.4 + 1.2 * random.nextDouble(), sigmaY);
      return compose(bgr, reflection, line, random);
    } finally {
      mx.release();
      my.release();
      reflection.release();
    }
  }

  /**
   * The waterline's row at every column: a random mean height, a tilt, and two slow waves (a
   * flood's edge follows kerbs, cambers and parked cars).
   */
  static float[] waterline(int w, int h, Random random) {
    double mean = h * (LINE_MIN + (LINE_MAX - LINE_MIN) * random.nextDouble());
    double tilt = (random.nextDouble() - 0.5) * 0.16 * h / w;
    double a1 = h * 0.035 * random.nextDouble();
    double a2 = h * 0.012 * random.nextDouble();
    double f1 = 0.5 + 1.5 * random.nextDouble();
    double f2 = 3 + 6 * random.nextDouble();
    double p1 = random.nextDouble() * 2 * Math.PI;
    double p2 = random.nextDouble() * 2 * Math.PI;
    float[] line = new float[w];
    for (int x = 0; x < w; x++) {
      double u = (double) x / w;
      line[x] =
          (float)
              (mean
                  + tilt * (x - w / 2.0)
                  + a1 * Math.sin(2 * Math.PI * f1 * u + p1)
                  + a2 * Math.sin(2 * Math.PI * f2 * u + p2));
    }
    return line;
  }

  private static Mat compose(Mat bgr, Mat reflection, float[] line, Random random) {
    int w = bgr.cols();
    int h = bgr.rows();
    byte[] src = new byte[w * h * 3];
    byte[] ref = new byte[w * h * 3];
    bgr.get(0, 0, src);
    reflection.get(0, 0, ref);

    // Water colour: from brown silt to grey-green, per image.
    double t = random.nextDouble();
    double[] brown = {
      65 + 55 * random.nextDouble(), 95 + 50 * random.nextDouble(), 115 + 60 * random.nextDouble()
    };
    double level = 110 + 60 * random.nextDouble();
    double[] grey = {
      level + 8 * (2 * random.nextDouble() - 1),
      level + 8 * (2 * random.nextDouble() - 1),
      level + 8 * (2 * random.nextDouble() - 1)
    };
    double[] colour = new double[3];
    for (int c = 0; c < 3; c++) {
      colour[c] = brown[c] + t * t * (grey[c] - brown[c]);
    }
    double mirrorTop = 0.25 + 0.45 * random.nextDouble();
    double mirrorBottom = 0.05 + 0.3 * random.nextDouble();
    double darken = 0.6 + 0.35 * random.nextDouble();
    double seeThrough = 0.12 * random.nextDouble();
    double edge = 1.5 + 4 * random.nextDouble();
    float[] silt = lowFrequency(w, h, 0.18 + 0.2 * random.nextDouble(), random);
    float[] glint = glints(w, h, line, random);
    double noise = 2 + 5 * random.nextDouble();

    byte[] out = src.clone();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double depth = y - line[x];
        if (depth < -edge) {
          continue;
        }
        int i = (y * w + x) * 3;
        double cover = Math.min(1, (depth + edge) / (2 * edge));
        double far = Math.max(0, depth) / Math.max(1, h - line[x]);
        double mirror = mirrorTop + (mirrorBottom - mirrorTop) * Math.min(1, far);
        double shade = silt[y * w + x];
        double g = glint[y * w + x];
        double n = random.nextGaussian() * noise;
        for (int c = 0; c < 3; c++) {
          double water =
              mirror * darken * (ref[i + c] & 0xff) + (1 - mirror) * colour[c] * shade + g + n;
          water = (1 - seeThrough) * water + seeThrough * (src[i + c] & 0xff);
          double v = cover * water + (1 - cover) * (src[i + c] & 0xff);
          out[i + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    Mat result = new Mat(h, w, CvType.CV_8UC3);
    result.put(0, 0, out);
    return result;
  }

  /** A smooth field around 1 (± {@code amount}): patches of darker and lighter silt. */
  private static float[] lowFrequency(int w, int h, double amount, Random random) {
    int gw = 6 + random.nextInt(6);
    int gh = 4 + random.nextInt(4);
    float[] grid = new float[gw * gh];
    for (int i = 0; i < grid.length; i++) {
      grid[i] = (float) (1 + amount * (2 * random.nextDouble() - 1));
    }
    Mat small = new Mat(gh, gw, CvType.CV_32F);
    Mat big = new Mat();
    try {
      small.put(0, 0, grid);
      Imgproc.resize(small, big, new Size(w, h), 0, 0, Imgproc.INTER_CUBIC);
      float[] field = new float[w * h];
      big.get(0, 0, field);
      return field;
    } finally {
      small.release();
      big.release();
    }
  }

  /** Short bright horizontal streaks on the water (sky caught by ripples), blurred. */
  private static float[] glints(int w, int h, float[] line, Random random) {
    float[] field = new float[w * h];
    int count = random.nextInt(Math.max(2, w * h / 2500));
    double bright = 20 + 50 * random.nextDouble();
    for (int k = 0; k < count; k++) {
      int x0 = random.nextInt(w);
      int len = 3 + random.nextInt(Math.max(4, w / 25));
      int top = (int) Math.ceil(line[x0]);
      if (top >= h - 1) {
        continue;
      }
      int y = top + random.nextInt(h - top);
      float v = (float) (bright * (0.4 + 0.6 * random.nextDouble()));
      for (int x = x0; x < Math.min(w, x0 + len); x++) {
        if (y > line[x]) {
          field[y * w + x] = Math.max(field[y * w + x], v);
        }
      }
    }
    Mat m = new Mat(h, w, CvType.CV_32F);
    try {
      m.put(0, 0, field);
      Imgproc.GaussianBlur(m, m, new Size(0, 0), 1.2, 0.7);
      m.get(0, 0, field);
      return field;
    } finally {
      m.release();
    }
  }
}
