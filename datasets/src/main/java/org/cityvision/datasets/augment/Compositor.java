package org.cityvision.datasets.augment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Moves an item photographed on a plain light sheet (TrashNet's white background) onto another
 * background: procedural floors, wood, concrete, conveyor-belt stripes, tiles, bin interiors,
 * cardboard boxes and kraft paper, gradients and noise, or a random crop of a scene photo; with a
 * cast shadow and uneven light. A model trained on such views cannot tell the classes apart by the
 * sheet and its light.
 *
 * <p>The item's mask is what differs from the sheet: the sheet's colour is a smooth surface fitted
 * to the image's border and then to every pixel it explains (light falls off across a sheet), and
 * pixels far from it in colour, or clearly saturated, are the item; morphology closes small holes
 * and a blurred mask feathers the edge. Clear glass and white paper are partly missed, which shows
 * them partly see-through on the new background: close to how they look on it anyway.
 *
 * <p>Immutable and thread-safe; randomness comes from the caller's {@link Random}. Returned {@link
 * Mat}s belong to the caller.
 */
public final class Compositor {
  /** How far from the sheet's colour (Euclidean, 8-bit BGR) a pixel counts as the item. */
  static final double COLOUR_DISTANCE = 38;

  /** HSV saturation (0-255) above which a pixel counts as the item whatever its distance. */
  static final double SATURATION = 60;

  private static final int SCENE_ATTEMPTS = 3;

  /** Width of the copy the sheet's surface is fitted on, and how many times it is refitted. */
  private static final int SURFACE_WIDTH = 96;

  private static final int SURFACE_ROUNDS = 4;

  /** Procedural background kinds; scene crops, when given, come up as often as two of them. */
  private static final int PROCEDURAL_KINDS = 9;

  /** The smallest and largest scale an item is placed at, unless the caller chooses. */
  public static final double MIN_SCALE = 0.5;

  static final double MAX_SCALE = 1.05;

  private final List<Path> scenes;
  private final double minScale;

  /**
   * @param scenes photos whose random crops serve as backgrounds (may be empty: procedural only)
   */
  public Compositor(List<Path> scenes) {
    this(scenes, MIN_SCALE);
  }

  /**
   * @param scenes photos whose random crops serve as backgrounds (may be empty: procedural only)
   * @param minScale the smallest scale an item is placed at (0.1-1; {@value #MIN_SCALE} by
   *     default): small items far from the camera, as a camera over a bin or a box sees them
   */
  public Compositor(List<Path> scenes, double minScale) {
    if (!(minScale >= 0.1 && minScale <= 1)) {
      throw new IllegalArgumentException(
          "the smallest item scale must be in 0.1..1, got " + minScale);
    }
    OpenCvRuntime.load();
    this.scenes = List.copyOf(scenes);
    this.minScale = minScale;
  }

  /**
   * The item's mask in {@code bgr} (8-bit BGR): 8-bit, 255 on the item, 0 on the sheet, soft at the
   * edge.
   */
  public static Mat mask(Mat bgr) {
    Mat sheet = sheetSurface(bgr);
    Mat diff = new Mat();
    Mat distance = new Mat();
    Mat hsv = new Mat();
    List<Mat> planes = new ArrayList<>(3);
    Mat saturated = new Mat();
    Mat mask = new Mat();
    Mat kernel = Imgproc.getStructuringElement(Imgproc.MORPH_ELLIPSE, new Size(9, 9));
    try {
      Mat f = new Mat();
      bgr.convertTo(f, CvType.CV_32FC3);
      Core.subtract(f, sheet, diff);
      f.release();
      Core.multiply(diff, diff, diff);
      List<Mat> d = new ArrayList<>(3);
      Core.split(diff, d);
      Core.add(d.get(0), d.get(1), distance);
      Core.add(distance, d.get(2), distance);
      d.forEach(Mat::release);
      Core.sqrt(distance, distance);
      Imgproc.threshold(distance, distance, COLOUR_DISTANCE, 255, Imgproc.THRESH_BINARY);
      distance.convertTo(mask, CvType.CV_8U);
      Imgproc.cvtColor(bgr, hsv, Imgproc.COLOR_BGR2HSV);
      Core.split(hsv, planes);
      Imgproc.threshold(planes.get(1), saturated, SATURATION, 255, Imgproc.THRESH_BINARY);
      Core.bitwise_or(mask, saturated, mask);
      Imgproc.morphologyEx(mask, mask, Imgproc.MORPH_CLOSE, kernel);
      Imgproc.morphologyEx(mask, mask, Imgproc.MORPH_OPEN, kernel);
      keepLargeParts(mask);
      fillHoles(mask);
      Imgproc.GaussianBlur(mask, mask, new Size(7, 7), 2);
      return mask.clone();
    } finally {
      sheet.release();
      diff.release();
      distance.release();
      hsv.release();
      planes.forEach(Mat::release);
      saturated.release();
      mask.release();
      kernel.release();
    }
  }

  /**
   * The sheet's colour at every pixel of {@code bgr}, as 32-bit float BGR: a quadratic surface in x
   * and y per channel. A photographed sheet is never one colour (light falls off towards the
   * corners, the sheet curls up behind the item), and one colour for all of it leaves the darker
   * corners looking like item. The surface is fitted on a small copy, first to the image's border,
   * then again and again to the pixels it explains, so an item that reaches the border weighs less
   * with each round.
   */
  static Mat sheetSurface(Mat bgr) {
    int w = bgr.cols();
    int h = bgr.rows();
    int sw = Math.min(w, SURFACE_WIDTH);
    int sh = Math.max(1, (int) Math.round(h * sw / (double) w));
    Mat small = new Mat();
    Imgproc.resize(bgr, small, new Size(sw, sh), 0, 0, Imgproc.INTER_AREA);
    byte[] px = new byte[sw * sh * 3];
    small.get(0, 0, px);
    small.release();
    int n = sw * sh;
    double[][] colour = new double[3][n];
    double[][] basis = new double[n][];
    boolean[] use = new boolean[n];
    int band = Math.max(1, Math.min(sw, sh) / 12);
    for (int y = 0; y < sh; y++) {
      for (int x = 0; x < sw; x++) {
        int i = y * sw + x;
        for (int c = 0; c < 3; c++) {
          colour[c][i] = px[i * 3 + c] & 255;
        }
        basis[i] =
            quadratic(
                x / (double) Math.max(1, sw - 1),
                y / (double) Math.max(1, sh - 1),
                new double[TERMS]);
        use[i] = x < band || y < band || x >= sw - band || y >= sh - band;
      }
    }
    double[][] coefficients = fit(basis, colour, use);
    double[] residual = new double[n];
    for (int round = 0; round < SURFACE_ROUNDS; round++) {
      int used = 0;
      for (int i = 0; i < n; i++) {
        residual[i] = distance(coefficients, basis[i], colour, i);
        used += use[i] ? 1 : 0;
      }
      double[] inUse = new double[used];
      for (int i = 0, k = 0; i < n; i++) {
        if (use[i]) {
          inUse[k++] = residual[i];
        }
      }
      Arrays.sort(inUse);
      double median = inUse.length == 0 ? 0 : inUse[inUse.length / 2];
      // The first round trims the border to what one surface explains; later rounds take every
      // pixel of the image it explains.
      double limit = Math.min(COLOUR_DISTANCE * 0.75, Math.max(6, 2.5 * median));
      boolean[] next = new boolean[n];
      int count = 0;
      for (int i = 0; i < n; i++) {
        next[i] = (round == 0 ? use[i] : true) && residual[i] <= limit;
        count += next[i] ? 1 : 0;
      }
      if (count < 6 * 4) {
        break;
      }
      use = next;
      coefficients = fit(basis, colour, use);
    }
    Mat surface = new Mat(h, w, CvType.CV_32FC3);
    float[] row = new float[w * 3];
    double[] b = new double[TERMS];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        quadratic(x / (double) Math.max(1, w - 1), y / (double) Math.max(1, h - 1), b);
        for (int c = 0; c < 3; c++) {
          row[x * 3 + c] = (float) at(coefficients[c], b);
        }
      }
      surface.put(y, 0, row);
    }
    return surface;
  }

  /** Terms of a quadratic in x and y. */
  private static final int TERMS = 6;

  /** Fills {@code out} with the quadratic's terms at (x, y) in [0, 1]², centred on [-1, 1]. */
  private static double[] quadratic(double x, double y, double[] out) {
    double u = 2 * x - 1;
    double v = 2 * y - 1;
    out[0] = 1;
    out[1] = u;
    out[2] = v;
    out[3] = u * u;
    out[4] = u * v;
    out[5] = v * v;
    return out;
  }

  /** One channel's surface value for the terms {@code b}. */
  private static double at(double[] coefficients, double[] b) {
    double v = 0;
    for (int k = 0; k < b.length; k++) {
      v += coefficients[k] * b[k];
    }
    return v;
  }

  private static double distance(double[][] coefficients, double[] b, double[][] colour, int i) {
    double sum = 0;
    for (int c = 0; c < 3; c++) {
      double d = colour[c][i] - at(coefficients[c], b);
      sum += d * d;
    }
    return Math.sqrt(sum);
  }

  /** Least squares of each channel on the used pixels (normal equations, 6 unknowns). */
  private static double[][] fit(double[][] basis, double[][] colour, boolean[] use) {
    int k = basis[0].length;
    double[][] out = new double[3][];
    for (int c = 0; c < 3; c++) {
      double[][] a = new double[k][k + 1];
      for (int i = 0; i < basis.length; i++) {
        if (!use[i]) {
          continue;
        }
        double[] b = basis[i];
        for (int r = 0; r < k; r++) {
          for (int q = 0; q < k; q++) {
            a[r][q] += b[r] * b[q];
          }
          a[r][k] += b[r] * colour[c][i];
        }
      }
      for (int r = 0; r < k; r++) {
        a[r][r] += 1e-6; // keeps a border-only fit solvable
      }
      out[c] = solve(a);
    }
    return out;
  }

  /** Gaussian elimination with partial pivoting of an augmented k × (k + 1) system. */
  private static double[] solve(double[][] a) {
    int k = a.length;
    for (int col = 0; col < k; col++) {
      int pivot = col;
      for (int r = col + 1; r < k; r++) {
        if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
          pivot = r;
        }
      }
      double[] swap = a[col];
      a[col] = a[pivot];
      a[pivot] = swap;
      for (int r = col + 1; r < k; r++) {
        double factor = a[r][col] / a[col][col];
        for (int q = col; q <= k; q++) {
          a[r][q] -= factor * a[col][q];
        }
      }
    }
    double[] x = new double[k];
    for (int r = k - 1; r >= 0; r--) {
      double v = a[r][k];
      for (int q = r + 1; q < k; q++) {
        v -= a[r][q] * x[q];
      }
      x[r] = v / a[r][r];
    }
    return x;
  }

  /** The fraction of {@code mask} that is item (values above half). */
  public static double coverage(Mat mask) {
    Mat bin = new Mat();
    try {
      Imgproc.threshold(mask, bin, 127, 255, Imgproc.THRESH_BINARY);
      return Core.countNonZero(bin) / (double) mask.total();
    } finally {
      bin.release();
    }
  }

  /**
   * The item of {@code bgr} on a new background of the same size, scaled by the smallest scale (0.5
   * by default) to 1.05 (an item further from the camera shows more of what it lies on) and moved,
   * a little or, when placed smaller than half its size, further across the frame, with a shadow
   * and a light gradient; or a copy of {@code bgr} when its mask looks wrong (under 2% or over 85%
   * of the image: no sheet to remove).
   */
  public Mat composite(Mat bgr, Random random) {
    Mat mask = mask(bgr);
    List<Mat> temps = new ArrayList<>();
    temps.add(mask);
    try {
      double cover = coverage(mask);
      if (cover < 0.02 || cover > 0.85) {
        return bgr.clone();
      }
      int w = bgr.cols();
      int h = bgr.rows();
      // Place the item: scale about the centre and shift.
      double scale = minScale + (MAX_SCALE - minScale) * random.nextDouble();
      double spread = 0.2 + 0.8 * Math.max(0, MIN_SCALE - scale);
      double dx = (random.nextDouble() - 0.5) * spread * w;
      double dy = (random.nextDouble() - 0.5) * spread * h;
      Mat affine = Imgproc.getRotationMatrix2D(new Point(w / 2.0, h / 2.0), 0, scale);
      temps.add(affine);
      affine.put(0, 2, affine.get(0, 2)[0] + dx);
      affine.put(1, 2, affine.get(1, 2)[0] + dy);
      Mat item = track(temps, new Mat());
      Mat itemMask = track(temps, new Mat());
      Imgproc.warpAffine(
          bgr, item, affine, bgr.size(), Imgproc.INTER_LINEAR, Core.BORDER_REPLICATE);
      Imgproc.warpAffine(
          mask,
          itemMask,
          affine,
          bgr.size(),
          Imgproc.INTER_LINEAR,
          Core.BORDER_CONSTANT,
          Scalar.all(0));

      Mat background = track(temps, background(w, h, random));
      // Shadow: the mask shifted down-right or down-left, blurred, darkening the background.
      Mat shadow = track(temps, new Mat());
      Mat shift = track(temps, Mat.eye(2, 3, CvType.CV_64F));
      shift.put(0, 2, (random.nextDouble() - 0.3) * 0.08 * w);
      shift.put(1, 2, (0.02 + random.nextDouble() * 0.06) * h);
      Imgproc.warpAffine(
          itemMask,
          shadow,
          shift,
          bgr.size(),
          Imgproc.INTER_LINEAR,
          Core.BORDER_CONSTANT,
          Scalar.all(0));
      int blur = 2 * (int) (5 + random.nextInt(15)) + 1;
      Imgproc.GaussianBlur(shadow, shadow, new Size(blur, blur), 0);
      double strength = 0.25 + 0.45 * random.nextDouble();
      Mat bgF = track(temps, new Mat());
      background.convertTo(bgF, CvType.CV_32FC3);
      Mat shadowF = track(temps, new Mat());
      shadow.convertTo(shadowF, CvType.CV_32F, strength / 255.0);
      Mat keep = track(temps, new Mat());
      Core.subtract(Mat.ones(shadowF.size(), CvType.CV_32F), shadowF, keep);
      Mat keep3 = track(temps, new Mat());
      Core.merge(List.of(keep, keep, keep), keep3);
      Core.multiply(bgF, keep3, bgF);

      // Blend the item over the shadowed background.
      Mat alpha = track(temps, new Mat());
      itemMask.convertTo(alpha, CvType.CV_32F, 1 / 255.0);
      Mat alpha3 = track(temps, new Mat());
      Core.merge(List.of(alpha, alpha, alpha), alpha3);
      Mat inv3 = track(temps, new Mat());
      Core.subtract(new Mat(alpha3.size(), CvType.CV_32FC3, Scalar.all(1)), alpha3, inv3);
      Mat itemF = track(temps, new Mat());
      item.convertTo(itemF, CvType.CV_32FC3);
      Core.multiply(itemF, alpha3, itemF);
      Core.multiply(bgF, inv3, bgF);
      Core.add(itemF, bgF, bgF);

      // Uneven light: a linear gain ramp across the image.
      Mat ramp = track(temps, lightRamp(w, h, random));
      Core.multiply(bgF, ramp, bgF);
      Mat out = new Mat();
      bgF.convertTo(out, CvType.CV_8UC3);
      return out;
    } finally {
      temps.forEach(Mat::release);
    }
  }

  /** A background of {@code w × h}: one of the procedural kinds, or a crop of a scene photo. */
  Mat background(int w, int h, Random random) {
    int kinds = scenes.isEmpty() ? PROCEDURAL_KINDS : PROCEDURAL_KINDS + 2;
    int kind = random.nextInt(kinds);
    if (kind >= PROCEDURAL_KINDS) {
      Mat scene = sceneCrop(w, h, random);
      if (scene != null) {
        return scene;
      }
      kind = random.nextInt(PROCEDURAL_KINDS);
    }
    return switch (kind) {
      case 0 -> solid(w, h, random);
      case 1 -> gradient(w, h, random);
      case 2 -> wood(w, h, random);
      case 3 -> concrete(w, h, random);
      case 4 -> conveyor(w, h, random);
      case 5 -> tiles(w, h, random);
      case 6 -> bin(w, h, random);
      case 7 -> cardboard(w, h, random);
      default -> noise(w, h, random);
    };
  }

  private static Scalar colour(Random random, double lo, double hi) {
    return new Scalar(
        lo + random.nextDouble() * (hi - lo),
        lo + random.nextDouble() * (hi - lo),
        lo + random.nextDouble() * (hi - lo));
  }

  private static Mat solid(int w, int h, Random random) {
    Mat m = new Mat(h, w, CvType.CV_8UC3, colour(random, 20, 230));
    addNoise(m, random, 4 + random.nextInt(10));
    return m;
  }

  private static Mat gradient(int w, int h, Random random) {
    Scalar a = colour(random, 10, 240);
    Scalar b = colour(random, 10, 240);
    Mat m = new Mat(h, w, CvType.CV_8UC3);
    boolean vertical = random.nextBoolean();
    byte[] row = new byte[w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double t = vertical ? y / (double) h : x / (double) w;
        for (int c = 0; c < 3; c++) {
          row[x * 3 + c] = (byte) Math.round(a.val[c] * (1 - t) + b.val[c] * t);
        }
      }
      m.put(y, 0, row);
    }
    addNoise(m, random, 3 + random.nextInt(6));
    return m;
  }

  private static Mat wood(int w, int h, Random random) {
    double base = 70 + random.nextDouble() * 90;
    double freq = 0.03 + random.nextDouble() * 0.08;
    double warp = random.nextDouble() * 6;
    Mat m = new Mat(h, w, CvType.CV_8UC3);
    byte[] row = new byte[w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double v = Math.sin((y + warp * Math.sin(x * 0.02)) * freq + Math.sin(x * 0.005) * 3);
        double l = base * (0.8 + 0.2 * v);
        row[x * 3] = (byte) clamp(l * 0.45);
        row[x * 3 + 1] = (byte) clamp(l * 0.7);
        row[x * 3 + 2] = (byte) clamp(l);
      }
      m.put(y, 0, row);
    }
    addNoise(m, random, 6);
    return m;
  }

  private static Mat concrete(int w, int h, Random random) {
    double grey = 90 + random.nextDouble() * 100;
    Mat m = new Mat(h, w, CvType.CV_8UC3, new Scalar(grey, grey * 1.01, grey * 1.02));
    for (int cell : new int[] {4, 16, 64}) {
      Mat small =
          gaussian(
              Math.max(1, h / cell), Math.max(1, w / cell), 128, 10 + random.nextInt(12), random);
      Mat big = new Mat();
      Imgproc.resize(small, big, new Size(w, h), 0, 0, Imgproc.INTER_CUBIC);
      Core.addWeighted(m, 1, big, 1, -128, m);
      small.release();
      big.release();
    }
    return m;
  }

  private static Mat conveyor(int w, int h, Random random) {
    double dark = 25 + random.nextDouble() * 50;
    Mat m = new Mat(h, w, CvType.CV_8UC3, Scalar.all(dark));
    int period = 8 + random.nextInt(30);
    double stripe = dark + 15 + random.nextDouble() * 30;
    boolean diagonal = random.nextBoolean();
    for (int k = -h; k < w + h; k += period) {
      Point a = new Point(k, 0);
      Point b = diagonal ? new Point(k + h, h) : new Point(k, h);
      Imgproc.line(m, a, b, Scalar.all(stripe), 1 + random.nextInt(3));
    }
    if (random.nextBoolean()) {
      int edge = (int) (h * (0.05 + random.nextDouble() * 0.1));
      Imgproc.rectangle(m, new Point(0, 0), new Point(w, edge), colour(random, 80, 200), -1);
    }
    addNoise(m, random, 5);
    return m;
  }

  private static Mat tiles(int w, int h, Random random) {
    Mat m = new Mat(h, w, CvType.CV_8UC3, colour(random, 90, 235));
    Scalar grout = colour(random, 40, 160);
    int size = 30 + random.nextInt(90);
    for (int x = random.nextInt(size); x < w; x += size) {
      Imgproc.line(m, new Point(x, 0), new Point(x, h), grout, 2);
    }
    for (int y = random.nextInt(size); y < h; y += size) {
      Imgproc.line(m, new Point(0, y), new Point(w, y), grout, 2);
    }
    addNoise(m, random, 5);
    return m;
  }

  private static Mat bin(int w, int h, Random random) {
    Scalar wall = colour(random, 20, 120);
    Mat m = new Mat(h, w, CvType.CV_8UC3, wall);
    // A darker inner region with a rim, as seen looking into a bin or a machine's chamber.
    int inset = (int) (Math.min(w, h) * (0.05 + random.nextDouble() * 0.15));
    Scalar inner = new Scalar(wall.val[0] * 0.6, wall.val[1] * 0.6, wall.val[2] * 0.6);
    Imgproc.rectangle(m, new Point(inset, inset), new Point(w - inset, h - inset), inner, -1);
    Imgproc.GaussianBlur(m, m, new Size(0, 0), 6);
    addNoise(m, random, 6);
    return m;
  }

  /**
   * Brown card or kraft paper, as in a cardboard box or a chute lined with it: fibre grain, often
   * corrugation ridges, sometimes the box's walls around a floor (walls in shade) and a strip of
   * tape. Items of every class lie on such surfaces, so their colour must not mean {@code
   * cardboard}.
   */
  static Mat cardboard(int w, int h, Random random) {
    double l = 110 + random.nextDouble() * 90;
    double warm = 0.55 + random.nextDouble() * 0.2;
    Scalar card = new Scalar(l * warm * 0.75, l * (warm + 0.12), l);
    Mat m = new Mat(h, w, CvType.CV_8UC3, card);
    if (random.nextDouble() < 0.6) {
      int period = 6 + random.nextInt(14);
      boolean vertical = random.nextBoolean();
      double shade = 0.86 + random.nextDouble() * 0.08;
      Scalar ridge = new Scalar(card.val[0] * shade, card.val[1] * shade, card.val[2] * shade);
      for (int k = random.nextInt(period); k < (vertical ? w : h); k += period) {
        Point a = vertical ? new Point(k, 0) : new Point(0, k);
        Point b = vertical ? new Point(k, h) : new Point(w, k);
        Imgproc.line(m, a, b, ridge, Math.max(1, period / 3));
      }
      Imgproc.GaussianBlur(m, m, new Size(0, 0), 1.5);
    }
    if (random.nextDouble() < 0.5) {
      // Looking into a box: the floor in the middle, the walls around it in shade.
      double wall = 0.55 + random.nextDouble() * 0.25;
      int inset = (int) (Math.min(w, h) * (0.08 + random.nextDouble() * 0.17));
      Mat floor = m.submat(new Rect(inset, inset, w - 2 * inset, h - 2 * inset)).clone();
      Core.multiply(m, Scalar.all(wall), m);
      floor.copyTo(m.submat(new Rect(inset, inset, w - 2 * inset, h - 2 * inset)));
      floor.release();
      Imgproc.GaussianBlur(m, m, new Size(0, 0), 3);
    }
    if (random.nextDouble() < 0.3) {
      int width = (int) (Math.min(w, h) * (0.06 + random.nextDouble() * 0.06));
      int at = random.nextInt(Math.max(1, w - width));
      Imgproc.rectangle(
          m, new Point(at, 0), new Point(at + width, h), colour(random, 120, 220), -1);
    }
    addNoise(m, random, 5 + random.nextInt(6));
    return m;
  }

  private static Mat noise(int w, int h, Random random) {
    Mat m = gaussian(h, w, 60 + random.nextDouble() * 120, 20 + random.nextDouble() * 40, random);
    Imgproc.GaussianBlur(m, m, new Size(0, 0), 1 + random.nextDouble() * 4);
    return m;
  }

  private Mat sceneCrop(int w, int h, Random random) {
    for (int attempt = 0; attempt < SCENE_ATTEMPTS; attempt++) {
      Path file = scenes.get(random.nextInt(scenes.size()));
      Mat img = Imgcodecs.imread(file.toString(), Imgcodecs.IMREAD_COLOR);
      if (img.empty()) {
        img.release();
        continue;
      }
      try {
        double area = 0.3 + 0.7 * random.nextDouble();
        int cw = Math.max(8, (int) (img.cols() * Math.sqrt(area)));
        int ch = Math.max(8, Math.min(img.rows(), (int) (cw * h / (double) w)));
        cw = Math.min(img.cols(), cw);
        int x = random.nextInt(img.cols() - cw + 1);
        int y = random.nextInt(img.rows() - ch + 1);
        Mat crop = img.submat(new Rect(x, y, cw, ch));
        Mat out = new Mat();
        Imgproc.resize(crop, out, new Size(w, h), 0, 0, Imgproc.INTER_LINEAR);
        crop.release();
        return out;
      } finally {
        img.release();
      }
    }
    return null;
  }

  private static Mat lightRamp(int w, int h, Random random) {
    double angle = random.nextDouble() * 2 * Math.PI;
    double lo = 0.6 + random.nextDouble() * 0.3;
    double hi = 1.0 + random.nextDouble() * 0.25;
    double cx = Math.cos(angle);
    double cy = Math.sin(angle);
    Mat ramp = new Mat(h, w, CvType.CV_32FC3);
    float[] row = new float[w * 3];
    double span = Math.abs(cx) * w + Math.abs(cy) * h;
    double min = Math.min(0, cx * w) + Math.min(0, cy * h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double t = (cx * x + cy * y - min) / span;
        float g = (float) (lo + (hi - lo) * t);
        row[x * 3] = g;
        row[x * 3 + 1] = g;
        row[x * 3 + 2] = g;
      }
      ramp.put(y, 0, row);
    }
    return ramp;
  }

  private static void addNoise(Mat m, Random random, double sigma) {
    // Noise drawn at half resolution and enlarged: grain like a camera's, at a quarter of the
    // draws.
    Mat small = gaussian(Math.max(1, m.rows() / 2), Math.max(1, m.cols() / 2), 128, sigma, random);
    Mat n = new Mat();
    Imgproc.resize(small, n, m.size(), 0, 0, Imgproc.INTER_NEAREST);
    Core.addWeighted(m, 1, n, 1, -128, m);
    small.release();
    n.release();
  }

  /**
   * An 8-bit BGR image of Gaussian noise drawn from {@code random} (OpenCV's own generator is
   * process-global, so views would not repeat for a seed).
   */
  private static Mat gaussian(int rows, int cols, double mean, double sigma, Random random) {
    byte[] px = new byte[rows * cols * 3];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) clamp(Math.round(mean + sigma * random.nextGaussian()));
    }
    Mat m = new Mat(rows, cols, CvType.CV_8UC3);
    m.put(0, 0, px);
    return m;
  }

  /**
   * Keeps the largest connected part of a binary {@code mask} and every part at least a quarter of
   * its size: an item is one or a few large parts, while creases and shade on the sheet leave small
   * scattered ones.
   */
  private static void keepLargeParts(Mat mask) {
    Mat labels = new Mat();
    Mat stats = new Mat();
    Mat centroids = new Mat();
    try {
      int count =
          Imgproc.connectedComponentsWithStats(mask, labels, stats, centroids, 8, CvType.CV_32S);
      if (count <= 2) {
        return;
      }
      int[] area = new int[count];
      int largest = 0;
      for (int label = 1; label < count; label++) {
        area[label] = (int) stats.get(label, Imgproc.CC_STAT_AREA)[0];
        largest = Math.max(largest, area[label]);
      }
      int[] keep = new int[labels.rows() * labels.cols()];
      labels.get(0, 0, keep);
      byte[] out = new byte[keep.length];
      for (int i = 0; i < keep.length; i++) {
        int label = keep[i];
        out[i] = label > 0 && area[label] * 4 >= largest ? (byte) 255 : 0;
      }
      mask.put(0, 0, out);
    } finally {
      labels.release();
      stats.release();
      centroids.release();
    }
  }

  /**
   * Fills regions of {@code mask} enclosed by the item (a label on a can, a bottle's highlight).
   */
  private static void fillHoles(Mat mask) {
    List<MatOfPoint> contours = new ArrayList<>();
    Mat hierarchy = new Mat();
    Mat copy = mask.clone();
    try {
      Imgproc.findContours(
          copy, contours, hierarchy, Imgproc.RETR_EXTERNAL, Imgproc.CHAIN_APPROX_SIMPLE);
      Imgproc.drawContours(mask, contours, -1, Scalar.all(255), -1);
    } finally {
      contours.forEach(Mat::release);
      hierarchy.release();
      copy.release();
    }
  }

  private static Mat track(List<Mat> temps, Mat mat) {
    temps.add(mat);
    return mat;
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(255, v));
  }
}
