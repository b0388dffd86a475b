package org.cityvision.core.image;

import java.util.ArrayList;
import java.util.List;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Turns a decoded image into a model's input tensor (CHW float32) as its {@link InputSpec} says:
 * resize, channel order and normalisation are OpenCV operations on whole images, and each channel
 * plane is copied into the tensor with one bulk copy; no per-pixel Java loop.
 *
 * <p>Immutable and thread-safe. Native temporaries are released before each call returns.
 */
public final class Preprocessor {
  private final InputSpec spec;

  /** One channel plane per thread: OpenCV's Java {@code Mat.get} copies into a whole array only. */
  private final ThreadLocal<float[]> staging;

  private final boolean uniform;
  private final Scalar meanBgr;
  private final Scalar invStdBgr;

  public Preprocessor(InputSpec spec) {
    if (spec == null) {
      throw new IllegalArgumentException("spec is required");
    }
    OpenCvRuntime.load();
    this.spec = spec;
    int plane = spec.width() * spec.height();
    this.staging = ThreadLocal.withInitial(() -> new float[plane]);
    List<Double> m = spec.mean();
    List<Double> s = spec.std();
    this.uniform =
        m.get(0).equals(m.get(1))
            && m.get(1).equals(m.get(2))
            && s.get(0).equals(s.get(1))
            && s.get(1).equals(s.get(2));
    boolean rgb = spec.channelOrder() == ChannelOrder.RGB;
    // The Mat is BGR; the spec's lists are in the model's channel order.
    int b = rgb ? 2 : 0;
    int r = rgb ? 0 : 2;
    this.meanBgr = new Scalar(m.get(b), m.get(1), m.get(r));
    this.invStdBgr = new Scalar(1 / s.get(b), 1 / s.get(1), 1 / s.get(r));
  }

  public InputSpec spec() {
    return spec;
  }

  /** A new tensor for one image. */
  public float[] toTensor(DecodedImage image) {
    float[] out = new float[spec.tensorSize()];
    toTensor(image.mat(), out, 0);
    return out;
  }

  /** Writes one image's CHW tensor into {@code dst} starting at {@code offset}. */
  public void toTensor(Mat bgr, float[] dst, int offset) {
    if (offset < 0 || offset + spec.tensorSize() > dst.length) {
      throw new IllegalArgumentException(
          "tensor of "
              + spec.tensorSize()
              + " floats does not fit at offset "
              + offset
              + " of "
              + dst.length);
    }
    Mat resized = resize(bgr);
    Mat floats = new Mat();
    List<Mat> planes = new ArrayList<>(3);
    try {
      if (uniform) {
        double inv = invStdBgr.val[0];
        resized.convertTo(floats, CvType.CV_32FC3, inv, -meanBgr.val[0] * inv);
      } else {
        resized.convertTo(floats, CvType.CV_32FC3);
        Core.subtract(floats, meanBgr, floats);
        Core.multiply(floats, invStdBgr, floats);
      }
      Core.split(floats, planes);
      int plane = spec.width() * spec.height();
      float[] buffer = staging.get();
      boolean rgb = spec.channelOrder() == ChannelOrder.RGB;
      for (int c = 0; c < 3; c++) {
        Mat source = planes.get(rgb ? 2 - c : c);
        source.get(0, 0, buffer);
        System.arraycopy(buffer, 0, dst, offset + c * plane, plane);
      }
    } finally {
      resized.release();
      floats.release();
      planes.forEach(Mat::release);
    }
  }

  /**
   * Resizes (and crops) a BGR image to the input size as the spec's policy says; the caller
   * releases the result. Area interpolation when shrinking (no aliasing), bilinear when enlarging.
   */
  public Mat resize(Mat bgr) {
    int w = bgr.cols();
    int h = bgr.rows();
    if (w <= 0 || h <= 0) {
      throw new IllegalArgumentException("cannot preprocess an empty image");
    }
    Mat out = new Mat();
    if (spec.resize() == ResizePolicy.SQUASH) {
      int interpolation =
          w >= spec.width() && h >= spec.height() ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
      Imgproc.resize(bgr, out, new Size(spec.width(), spec.height()), 0, 0, interpolation);
      return out;
    }
    double scale = Math.max((double) spec.width() / w, (double) spec.height() / h);
    int sw = Math.max(spec.width(), (int) Math.round(w * scale));
    int sh = Math.max(spec.height(), (int) Math.round(h * scale));
    Mat scaled = new Mat();
    try {
      Imgproc.resize(
          bgr,
          scaled,
          new Size(sw, sh),
          0,
          0,
          scale < 1 ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR);
      Rect centre =
          new Rect((sw - spec.width()) / 2, (sh - spec.height()) / 2, spec.width(), spec.height());
      Mat view = scaled.submat(centre);
      view.copyTo(out);
      view.release();
      return out;
    } finally {
      scaled.release();
    }
  }
}
