package org.cityvision.core.quality;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.SyntheticScene;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Labelled camera frames made from one base scene: the faults a city camera shows (blur, darkness,
 * overexposure, covers, a shifted view, a repeated frame) and the normal variation it must not be
 * called faulty for (sensor noise, light drift, dusk, fog, rain, heavy noise, JPEG requantisation,
 * a new object in the view, a plain scene). Deterministic per seed; every returned Mat belongs to
 * the caller.
 */
final class FaultCorpus {
  /** A variant and the fault it must raise ({@code null} for a normal variant). */
  enum Variant {
    BLUR(QualityFault.BLURRED),
    DARKENING(QualityFault.BLACK),
    OVEREXPOSURE(QualityFault.OVEREXPOSED),
    UNIFORM_COVER(QualityFault.COVERED),
    SPRAYED_COVER(QualityFault.COVERED),
    LENS_CAP(QualityFault.COVERED),
    SHIFTED_VIEW(QualityFault.MOVED),
    REPEATED(QualityFault.FROZEN),
    NOISE_ONLY(null),
    LIGHT_DRIFT(null),
    DUSK(null),
    FOG(null),
    RAIN(null),
    HEAVY_NOISE(null),
    REQUANTISED(null),
    NEW_OBJECT(null);

    final QualityFault expected;

    Variant(QualityFault expected) {
      this.expected = expected;
    }

    boolean normal() {
      return expected == null;
    }

    static List<Variant> faults() {
      return Arrays.stream(values()).filter(v -> !v.normal()).toList();
    }

    static List<Variant> normals() {
      return Arrays.stream(values()).filter(Variant::normal).toList();
    }
  }

  private FaultCorpus() {}

  /**
   * A base scene: {@code source} centre-cropped to the aspect of {@code width}×{@code height} and
   * resized.
   */
  static Mat base(Mat source, int width, int height) {
    double aspect = (double) width / height;
    int w = source.cols();
    int h = source.rows();
    Rect crop =
        w > h * aspect
            ? new Rect((int) ((w - h * aspect) / 2), 0, (int) (h * aspect), h)
            : new Rect(0, (int) ((h - w / aspect) / 2), w, (int) (w / aspect));
    Mat view = source.submat(crop);
    Mat out = new Mat();
    Imgproc.resize(view, out, new Size(width, height), 0, 0, Imgproc.INTER_CUBIC);
    view.release();
    return out;
  }

  /** One simulated camera: its base scene and another scene to take objects from. */
  interface Camera {
    void run(String id, Mat base, Mat other) throws ImageException;
  }

  /**
   * Runs {@code camera} once per image, with the image as its scene (centre-cropped and resized to
   * {@code width}×{@code height}) and the image {@code otherOffset} further on as its other scene;
   * unreadable images are skipped. Returns how many cameras ran.
   */
  static int cameras(List<Path> images, int width, int height, int otherOffset, Camera camera)
      throws ImageException {
    int ran = 0;
    for (int c = 0; c < images.size(); c++) {
      Mat source = Imgcodecs.imread(images.get(c).toString());
      Mat otherSource = Imgcodecs.imread(images.get((c + otherOffset) % images.size()).toString());
      if (source.empty() || otherSource.empty()) {
        source.release();
        otherSource.release();
        continue;
      }
      Mat base = base(source, width, height);
      Mat other = base(otherSource, width, height);
      source.release();
      otherSource.release();
      try {
        camera.run("cam" + c, base, other);
        ran++;
      } finally {
        base.release();
        other.release();
      }
    }
    return ran;
  }

  /** A synthetic base scene (no dataset needed). */
  static Mat syntheticBase(int width, int height, long seed) {
    Mat scene = SyntheticScene.render(width, height, seed);
    Imgproc.GaussianBlur(scene, scene, new Size(0, 0), 1.0);
    return scene;
  }

  /** One frame of {@code variant} of the base scene, with sensor noise; the caller releases it. */
  static Mat frame(Mat base, Variant variant, Random random, Mat other) {
    int w = base.cols();
    int h = base.rows();
    Mat out = base.clone();
    switch (variant) {
      case BLUR -> defocus(out, w * (0.004 + 0.006 * random.nextDouble()));
      case DARKENING -> out.convertTo(out, -1, 0.02 + 0.06 * random.nextDouble(), 0);
      case OVEREXPOSURE ->
          out.convertTo(out, -1, 2.5 + 2.5 * random.nextDouble(), 80 + 80 * random.nextDouble());
      case UNIFORM_COVER -> {
        double share = 0.65 + 0.35 * random.nextDouble();
        int cw = (int) (w * Math.sqrt(share));
        int ch = (int) (h * Math.sqrt(share));
        int x = random.nextInt(w - cw + 1);
        int y = random.nextInt(h - ch + 1);
        Imgproc.rectangle(
            out, new Point(x, y), new Point(x + cw, y + ch), randomColour(random), -1);
      }
      case SPRAYED_COVER -> {
        Mat paint = new Mat(h, w, CvType.CV_8UC3, randomColour(random));
        Mat mask = Mat.zeros(h, w, CvType.CV_8UC1);
        Imgproc.ellipse(
            mask,
            new Point(w * (0.4 + 0.2 * random.nextDouble()), h * (0.4 + 0.2 * random.nextDouble())),
            new Size(w * (0.55 + 0.2 * random.nextDouble()), h * (0.6 + 0.2 * random.nextDouble())),
            random.nextDouble() * 180,
            0,
            360,
            new Scalar(255),
            -1);
        softBlur(mask, w * 0.03);
        // Paint is not flat: slow streaks of thicker and thinner coat.
        Mat streaks = new Mat(h / 16 + 1, w / 16 + 1, CvType.CV_8UC3);
        Core.randn(streaks, 0, 20);
        Mat big = new Mat();
        Imgproc.resize(streaks, big, new Size(w, h), 0, 0, Imgproc.INTER_CUBIC);
        softBlur(big, w * 0.02);
        Core.add(paint, big, paint);
        paint.copyTo(out, mask);
        Mat soft = new Mat();
        out.copyTo(soft);
        Imgproc.GaussianBlur(soft, soft, new Size(0, 0), 3);
        soft.copyTo(out, mask);
        paint.release();
        mask.release();
        streaks.release();
        big.release();
        soft.release();
      }
      case LENS_CAP -> {
        double level = 35 + 40 * random.nextDouble();
        out.setTo(new Scalar(level, level, level));
        Mat vignette = Mat.zeros(h, w, CvType.CV_8UC3);
        Imgproc.circle(
            vignette, new Point(w / 2.0, h / 2.0), (int) (h * 0.4), new Scalar(12, 12, 12), -1);
        softBlur(vignette, h * 0.2);
        Core.add(out, vignette, out);
        vignette.release();
      }
      case SHIFTED_VIEW -> {
        double angle = (random.nextBoolean() ? 1 : -1) * (random.nextDouble() * 8);
        double scale = 1.0 + 0.25 * random.nextDouble();
        double dx = (random.nextBoolean() ? 1 : -1) * w * (0.06 + 0.10 * random.nextDouble());
        double dy = (random.nextBoolean() ? 1 : -1) * h * (0.03 * random.nextDouble());
        Mat m = Imgproc.getRotationMatrix2D(new Point(w / 2.0, h / 2.0), angle, scale);
        m.put(0, 2, m.get(0, 2)[0] + dx);
        m.put(1, 2, m.get(1, 2)[0] + dy);
        Imgproc.warpAffine(base, out, m, base.size(), Imgproc.INTER_LINEAR, Core.BORDER_REFLECT);
        m.release();
      }
      case REPEATED, NOISE_ONLY, REQUANTISED -> {}
      case LIGHT_DRIFT ->
          out.convertTo(out, -1, 0.85 + 0.3 * random.nextDouble(), -15 + 30 * random.nextDouble());
      case DUSK -> {
        // Dark but not black: the scene dimmed to a mean of 35-70 grey levels.
        double mean = Core.mean(out).val[1];
        out.convertTo(
            out, -1, Math.min(0.6, (35 + 35 * random.nextDouble()) / Math.max(mean, 1)), 0);
      }
      case FOG -> {
        double alpha = 0.3 + 0.3 * random.nextDouble();
        Mat grey = new Mat(h, w, CvType.CV_8UC3, new Scalar(205, 205, 205));
        Core.addWeighted(out, 1 - alpha, grey, alpha, 0, out);
        Imgproc.GaussianBlur(out, out, new Size(0, 0), 1.2);
        grey.release();
      }
      case RAIN -> {
        out.convertTo(out, -1, 0.85, 0);
        Mat streaks = Mat.zeros(h, w, CvType.CV_8UC3);
        int drops = 300 + random.nextInt(500);
        double slant = -0.2 + 0.4 * random.nextDouble();
        for (int i = 0; i < drops; i++) {
          int x = random.nextInt(w);
          int y = random.nextInt(h);
          int len = 10 + random.nextInt(30);
          Imgproc.line(
              streaks,
              new Point(x, y),
              new Point(x + slant * len, y + len),
              new Scalar(60, 60, 60),
              1);
        }
        Imgproc.GaussianBlur(streaks, streaks, new Size(3, 3), 0);
        Core.add(out, streaks, out);
        streaks.release();
      }
      case HEAVY_NOISE -> addNoise(out, 8 + 6 * random.nextDouble(), random);
      case NEW_OBJECT -> {
        if (other != null) {
          int ow = (int) (w * (0.2 + 0.15 * random.nextDouble()));
          int oh = (int) (h * (0.2 + 0.15 * random.nextDouble()));
          Mat patch = new Mat();
          Imgproc.resize(other, patch, new Size(ow, oh), 0, 0, Imgproc.INTER_AREA);
          Mat target =
              out.submat(
                  new Rect(random.nextInt(w - ow), h / 2 + random.nextInt(h / 2 - oh), ow, oh));
          patch.copyTo(target);
          target.release();
          patch.release();
        }
      }
    }
    if (variant != Variant.REPEATED) {
      addNoise(
          out,
          variant == Variant.DUSK ? 4 + 2 * random.nextDouble() : 2 + 2 * random.nextDouble(),
          random);
    }
    return out;
  }

  /** JPEG bytes of a frame; requantised variants go through a second, harsher encode. */
  static byte[] encode(Mat frame, Variant variant, Random random) {
    byte[] once = SyntheticScene.encode(frame, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85);
    if (variant != Variant.REQUANTISED) {
      return once;
    }
    Mat decoded = Imgcodecs.imdecode(new MatOfByte(once), Imgcodecs.IMREAD_COLOR);
    try {
      return SyntheticScene.encode(
          decoded, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 35 + random.nextInt(25));
    } finally {
      decoded.release();
    }
  }

  /**
   * Defocus by a Gaussian of {@code sigma} pixels, done at 1/4 scale (a defocused frame has no
   * finer detail).
   */
  static void defocus(Mat mat, double sigma) {
    Mat small = new Mat();
    Imgproc.resize(mat, small, new Size(mat.cols() / 4, mat.rows() / 4), 0, 0, Imgproc.INTER_AREA);
    Imgproc.GaussianBlur(
        small, small, new Size(0, 0), Math.max(0.5, Math.sqrt(sigma * sigma - 4) / 4));
    Imgproc.resize(small, mat, mat.size(), 0, 0, Imgproc.INTER_CUBIC);
    small.release();
  }

  /** A wide Gaussian blur done at 1/8 scale (the result is smooth anyway), so it costs little. */
  static void softBlur(Mat mat, double sigma) {
    Mat small = new Mat();
    Imgproc.resize(
        mat,
        small,
        new Size(Math.max(1, mat.cols() / 8), Math.max(1, mat.rows() / 8)),
        0,
        0,
        Imgproc.INTER_AREA);
    Imgproc.GaussianBlur(small, small, new Size(0, 0), Math.max(0.5, sigma / 8));
    Imgproc.resize(small, mat, mat.size(), 0, 0, Imgproc.INTER_LINEAR);
    small.release();
  }

  static void addNoise(Mat mat, double sigma, Random random) {
    Mat noise = new Mat(mat.size(), CvType.CV_16SC3);
    Mat wide = new Mat();
    try {
      Core.setRNGSeed(random.nextInt());
      Core.randn(noise, 0, sigma);
      mat.convertTo(wide, CvType.CV_16SC3);
      Core.add(wide, noise, wide);
      wide.convertTo(mat, CvType.CV_8UC3);
    } finally {
      noise.release();
      wide.release();
    }
  }

  private static Scalar randomColour(Random random) {
    return new Scalar(30 + random.nextInt(200), 30 + random.nextInt(200), 30 + random.nextInt(200));
  }
}
