package org.cityvision.datasets.augment;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.CLAHE;
import org.opencv.imgproc.Imgproc;

/**
 * Makes random views of a decoded BGR image ({@code DecodedImage.mat()}, the same decode path as
 * serving): random resized crop, horizontal flip, small rotation, colour jitter and, sometimes, a
 * degraded capture chain (resize, blur, JPEG re-encoding). The view has the model's input size, so
 * the serving {@code Preprocessor} turns it into a tensor unchanged.
 *
 * <p>Immutable and thread-safe; randomness comes from the caller's {@link Random}, so a seeded
 * generator gives the same views again. Returned {@link Mat}s belong to the caller, who releases
 * them.
 */
public final class Augmenter {
  private final AugmentSpec spec;
  private final int width;
  private final int height;

  public Augmenter(AugmentSpec spec, int width, int height) {
    if (spec == null || width < 8 || height < 8) {
      throw new IllegalArgumentException("spec and an output size of at least 8x8 are required");
    }
    OpenCvRuntime.load();
    this.spec = spec;
    this.width = width;
    this.height = height;
  }

  public AugmentSpec spec() {
    return spec;
  }

  /** A random view of {@code bgr} (8-bit, 3 channels), {@code width × height}, 8-bit BGR. */
  public Mat view(Mat bgr, Random random) {
    if (bgr.empty() || bgr.type() != CvType.CV_8UC3) {
      throw new IllegalArgumentException(
          "expects a non-empty 8-bit BGR image, got type " + bgr.type());
    }
    List<Mat> temps = new ArrayList<>();
    try {
      // Rotating the small crop rather than the whole image costs a fraction and looks the same.
      Mat current = track(temps, cropAndResize(bgr, random));
      if (spec.rotationDegrees() > 0) {
        current =
            track(
                temps,
                rotate(current, uniform(random, -spec.rotationDegrees(), spec.rotationDegrees())));
      }
      if (random.nextDouble() < spec.flipProbability()) {
        Mat flipped = track(temps, new Mat());
        Core.flip(current, flipped, 1);
        current = flipped;
      }
      current = track(temps, jitter(current, random));
      if (spec.equalizeProbability() > 0 && random.nextDouble() < spec.equalizeProbability()) {
        current = track(temps, equalize(current, random));
      }
      if (random.nextDouble() < spec.degradeProbability()) {
        current = track(temps, degrade(current, random));
      }
      Mat out = current.clone();
      return out;
    } finally {
      temps.forEach(Mat::release);
    }
  }

  private static Mat track(List<Mat> temps, Mat mat) {
    temps.add(mat);
    return mat;
  }

  private Mat rotate(Mat src, double degrees) {
    Mat rotation =
        Imgproc.getRotationMatrix2D(new Point(src.cols() / 2.0, src.rows() / 2.0), degrees, 1.0);
    Mat out = new Mat();
    try {
      Imgproc.warpAffine(
          src, out, rotation, src.size(), Imgproc.INTER_LINEAR, Core.BORDER_REFLECT_101);
      return out;
    } finally {
      rotation.release();
    }
  }

  private Mat cropAndResize(Mat src, Random random) {
    int w = src.cols();
    int h = src.rows();
    double area = uniform(random, spec.minArea(), 1.0);
    double logJitter = Math.log(spec.aspectJitter());
    double aspect = Math.exp(uniform(random, -logJitter, logJitter));
    // Relative to the image: cw/w = sqrt(area*aspect), ch/h = sqrt(area/aspect).
    int cw = (int) Math.round(w * Math.min(1.0, Math.sqrt(area * aspect)));
    int ch = (int) Math.round(h * Math.min(1.0, Math.sqrt(area / aspect)));
    cw = Math.max(1, Math.min(w, cw));
    ch = Math.max(1, Math.min(h, ch));
    int x = cw == w ? 0 : random.nextInt(w - cw + 1);
    int y = ch == h ? 0 : random.nextInt(h - ch + 1);
    Mat crop = src.submat(new Rect(x, y, cw, ch));
    Mat out = new Mat();
    try {
      int interpolation = cw >= width && ch >= height ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
      Imgproc.resize(crop, out, new Size(width, height), 0, 0, interpolation);
      return out;
    } finally {
      crop.release();
    }
  }

  private Mat jitter(Mat src, Random random) {
    double alpha = 1 + uniform(random, -spec.contrast(), spec.contrast());
    double beta = 255 * uniform(random, -spec.brightness(), spec.brightness());
    // Contrast around the mean grey keeps the average brightness where the brightness term puts it.
    double mean =
        Core.mean(src).val[0] * 0.114
            + Core.mean(src).val[1] * 0.587
            + Core.mean(src).val[2] * 0.299;
    Mat out = new Mat();
    src.convertTo(out, -1, alpha, beta + (1 - alpha) * mean);
    double saturation = 1 + uniform(random, -spec.saturation(), spec.saturation());
    double hue = uniform(random, -spec.hueDegrees(), spec.hueDegrees());
    if (saturation != 1 || hue != 0) {
      Mat hsv = new Mat();
      List<Mat> planes = new ArrayList<>(3);
      try {
        Imgproc.cvtColor(out, hsv, Imgproc.COLOR_BGR2HSV_FULL);
        Core.split(hsv, planes);
        // 8-bit hue wraps at 256 in the _FULL encoding, so a wrapping lookup table is a rotation.
        int shift = (int) Math.round(hue * 256 / 360.0);
        Mat lut = new Mat(1, 256, CvType.CV_8U);
        byte[] table = new byte[256];
        for (int v = 0; v < 256; v++) {
          table[v] = (byte) ((v + shift) & 255);
        }
        lut.put(0, 0, table);
        Core.LUT(planes.get(0), lut, planes.get(0));
        lut.release();
        planes.get(1).convertTo(planes.get(1), -1, saturation, 0);
        Core.merge(planes, hsv);
        Imgproc.cvtColor(hsv, out, Imgproc.COLOR_HSV2BGR_FULL);
      } finally {
        hsv.release();
        planes.forEach(Mat::release);
      }
    }
    return out;
  }

  /** CLAHE on the lightness of Lab, with a clip limit of 1.5-4 and a grid of 4-8 tiles. */
  private static Mat equalize(Mat src, Random random) {
    Mat lab = new Mat();
    List<Mat> planes = new ArrayList<>(3);
    int grid = 4 + random.nextInt(5);
    CLAHE clahe = Imgproc.createCLAHE(uniform(random, 1.5, 4.0), new Size(grid, grid));
    try {
      Imgproc.cvtColor(src, lab, Imgproc.COLOR_BGR2Lab);
      Core.split(lab, planes);
      clahe.apply(planes.get(0), planes.get(0));
      Core.merge(planes, lab);
      Mat out = new Mat();
      Imgproc.cvtColor(lab, out, Imgproc.COLOR_Lab2BGR);
      return out;
    } finally {
      lab.release();
      planes.forEach(Mat::release);
    }
  }

  private Mat degrade(Mat src, Random random) {
    double factor = uniform(random, 0.5, 1.0);
    Mat small = new Mat();
    Mat restored = new Mat();
    MatOfByte encoded = new MatOfByte();
    int quality = spec.minJpegQuality() + random.nextInt(95 - spec.minJpegQuality() + 1);
    MatOfInt params = new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, quality);
    try {
      Imgproc.resize(
          src,
          small,
          new Size(
              Math.max(8, Math.round(width * factor)), Math.max(8, Math.round(height * factor))),
          0,
          0,
          Imgproc.INTER_AREA);
      Imgproc.resize(small, restored, new Size(width, height), 0, 0, Imgproc.INTER_LINEAR);
      if (random.nextBoolean()) {
        Imgproc.GaussianBlur(restored, restored, new Size(3, 3), uniform(random, 0.3, 1.0));
      }
      if (!Imgcodecs.imencode(".jpg", restored, encoded, params)) {
        throw new IllegalStateException("OpenCV failed to re-encode a view as JPEG");
      }
      Mat decoded = Imgcodecs.imdecode(encoded, Imgcodecs.IMREAD_COLOR);
      if (decoded.empty()) {
        throw new IllegalStateException("OpenCV failed to decode its own JPEG");
      }
      return decoded;
    } finally {
      small.release();
      restored.release();
      encoded.release();
      params.release();
    }
  }

  private static double uniform(Random random, double lo, double hi) {
    return hi <= lo ? lo : lo + (hi - lo) * random.nextDouble();
  }
}
