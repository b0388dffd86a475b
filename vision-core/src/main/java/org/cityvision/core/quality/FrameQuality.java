package org.cityvision.core.quality;

import java.util.EnumSet;
import java.util.Set;
import org.cityvision.core.image.CorruptImageException;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageHeader;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Measures a frame for the quality checks from the cheapest decode that serves: a JPEG is decoded
 * straight to luminance at 1/2, 1/4 or 1/8 scale in the DCT domain (the entropy decoding is the
 * whole cost; no colour conversion, no full-size pixels), PNG and WebP are decoded to luminance and
 * area-resized to the same working size. The working image keeps at least {@value
 * #MIN_WIDTH}×{@value #MIN_HEIGHT} pixels where the frame has them (240×135 for 1080p), enough for
 * focus and structure.
 *
 * <p>Immutable and thread-safe; native memory is released before each call returns.
 */
public final class FrameQuality {
  /** The working image is at least this wide where the frame is. */
  public static final int MIN_WIDTH = 160;

  /** The working image is at least this high where the frame is. */
  public static final int MIN_HEIGHT = 90;

  private final ImageDecoder decoder;

  public FrameQuality(ImageLimits limits) {
    this.decoder = new ImageDecoder(limits);
    OpenCvRuntime.load();
  }

  /**
   * The reduction (8, 4, 2 or 1) that keeps a frame's working image at or above the minimum size.
   */
  public static int reductionFor(int width, int height) {
    for (int factor : new int[] {8, 4, 2}) {
      if (width / factor >= MIN_WIDTH && height / factor >= MIN_HEIGHT) {
        return factor;
      }
    }
    return 1;
  }

  /**
   * Decodes and measures an encoded frame.
   *
   * @throws ImageException the bytes are not an image within the limits
   */
  public FrameAnalysis analyze(byte[] encoded) throws ImageException {
    return analyze(encoded, EnumSet.allOf(ImageFormat.class));
  }

  /**
   * Decodes and measures an encoded frame of one of the {@code accepted} formats.
   *
   * @throws org.cityvision.core.image.UnsupportedImageException not one of the {@code accepted}
   *     formats
   * @throws ImageException the bytes are not an image within the limits
   */
  public FrameAnalysis analyze(byte[] encoded, Set<ImageFormat> accepted) throws ImageException {
    ImageHeader header = decoder.inspect(encoded);
    ImageDecoder.requireFormat(header, accepted);
    int reduction = reductionFor(header.width(), header.height());
    boolean jpeg = header.format() == ImageFormat.JPEG;
    int flags =
        Imgcodecs.IMREAD_IGNORE_ORIENTATION
            | (jpeg
                ? switch (reduction) {
                  case 8 -> Imgcodecs.IMREAD_REDUCED_GRAYSCALE_8;
                  case 4 -> Imgcodecs.IMREAD_REDUCED_GRAYSCALE_4;
                  case 2 -> Imgcodecs.IMREAD_REDUCED_GRAYSCALE_2;
                  default -> Imgcodecs.IMREAD_GRAYSCALE;
                }
                : Imgcodecs.IMREAD_GRAYSCALE);
    MatOfByte buffer = new MatOfByte(encoded);
    Mat gray = null;
    try {
      gray = Imgcodecs.imdecode(buffer, flags);
      if (gray == null || gray.empty()) {
        throw new CorruptImageException(
            header.format()
                + " "
                + header.width()
                + "x"
                + header.height()
                + " could not be decoded: the data is corrupt");
      }
      return measureGray(gray, header.width(), header.height(), reduction);
    } catch (RuntimeException e) {
      throw new CorruptImageException(
          header.format() + " could not be decoded: " + e.getMessage(), e);
    } finally {
      buffer.release();
      if (gray != null) {
        gray.release();
      }
    }
  }

  /**
   * Measures an already decoded frame (8-bit grey or BGR, at any scale of a {@code width}×{@code
   * height} frame), for callers that decoded it anyway; the Mat stays the caller's.
   */
  public FrameAnalysis analyze(Mat image, int width, int height) {
    if (image == null || image.empty()) {
      throw new IllegalArgumentException("cannot analyse an empty image");
    }
    Mat gray = new Mat();
    try {
      if (image.channels() == 3) {
        Imgproc.cvtColor(image, gray, Imgproc.COLOR_BGR2GRAY);
      } else if (image.channels() == 1) {
        image.copyTo(gray);
      } else {
        throw new IllegalArgumentException(
            "expected a grey or BGR image, got " + image.channels() + " channels");
      }
      return measureGray(gray, width, height, reductionFor(width, height));
    } finally {
      gray.release();
    }
  }

  /** Measures a grey image, first area-resizing it to the working size when it is larger. */
  private static FrameAnalysis measureGray(Mat gray, int width, int height, int reduction) {
    int workWidth = Math.max(1, width / reduction);
    int workHeight = Math.max(1, height / reduction);
    Mat working = gray;
    Mat grid = new Mat();
    try {
      if (Math.abs(gray.cols() - workWidth) > 1 || Math.abs(gray.rows() - workHeight) > 1) {
        working = new Mat();
        Imgproc.resize(gray, working, new Size(workWidth, workHeight), 0, 0, Imgproc.INTER_AREA);
      }
      int w = working.cols();
      int h = working.rows();
      byte[] work = new byte[w * h];
      if (working.isContinuous()) {
        working.get(0, 0, work);
      } else {
        Mat copy = working.clone();
        copy.get(0, 0, work);
        copy.release();
      }
      Imgproc.resize(
          working,
          grid,
          new Size(FrameAnalysis.GRID_WIDTH, FrameAnalysis.GRID_HEIGHT),
          0,
          0,
          w >= FrameAnalysis.GRID_WIDTH && h >= FrameAnalysis.GRID_HEIGHT
              ? Imgproc.INTER_AREA
              : Imgproc.INTER_LINEAR);
      byte[] cells = new byte[FrameAnalysis.GRID_WIDTH * FrameAnalysis.GRID_HEIGHT];
      grid.get(0, 0, cells);
      int[] histogram = new int[256];
      for (byte b : cells) {
        histogram[b & 0xff]++;
      }
      return new FrameAnalysis(
          width,
          height,
          reduction,
          histogram,
          sharpness(work, w, h),
          texture(cells),
          signature(cells),
          hash(work));
    } finally {
      if (working != gray) {
        working.release();
      }
      grid.release();
    }
  }

  /**
   * Mean squared Laplacian over mean squared gradient (plus one grey level², so flat noise stays
   * finite).
   */
  static double sharpness(byte[] p, int w, int h) {
    if (w < 3 || h < 3) {
      return 0;
    }
    double lap = 0;
    double grad = 0;
    for (int y = 1; y < h - 1; y++) {
      int row = y * w;
      for (int x = 1; x < w - 1; x++) {
        int c = p[row + x] & 0xff;
        int l = p[row + x - 1] & 0xff;
        int r = p[row + x + 1] & 0xff;
        int u = p[row - w + x] & 0xff;
        int d = p[row + w + x] & 0xff;
        int laplacian = l + r + u + d - 4 * c;
        int gx = r - l;
        int gy = d - u;
        lap += laplacian * laplacian;
        grad += (gx * gx + gy * gy) / 4.0;
      }
    }
    int n = (w - 2) * (h - 2);
    return (lap / n) / (grad / n + 1.0);
  }

  /** Per block, the mean absolute gradient (|dx| + |dy| over two pixels) in grey levels. */
  private static float[] texture(byte[] p) {
    int w = FrameAnalysis.GRID_WIDTH;
    int h = FrameAnalysis.GRID_HEIGHT;
    float[] sums = new float[FrameAnalysis.BLOCKS_X * FrameAnalysis.BLOCKS_Y];
    for (int y = 0; y < h; y++) {
      int row = y * w;
      int up = (y == 0 ? y : y - 1) * w;
      int down = (y == h - 1 ? y : y + 1) * w;
      int by = (y / FrameAnalysis.BLOCK) * FrameAnalysis.BLOCKS_X;
      for (int x = 0; x < w; x++) {
        int left = x == 0 ? x : x - 1;
        int right = x == w - 1 ? x : x + 1;
        int gx = (p[row + right] & 0xff) - (p[row + left] & 0xff);
        int gy = (p[down + x] & 0xff) - (p[up + x] & 0xff);
        sums[by + x / FrameAnalysis.BLOCK] += Math.abs(gx) + Math.abs(gy);
      }
    }
    float scale = 1f / (FrameAnalysis.BLOCK * FrameAnalysis.BLOCK);
    for (int i = 0; i < sums.length; i++) {
      sums[i] *= scale;
    }
    return sums;
  }

  /** 2×2 averages of the analysis grid: the {@link SceneSignature}. */
  private static SceneSignature signature(byte[] p) {
    int w = FrameAnalysis.GRID_WIDTH;
    byte[] out = new byte[SceneSignature.WIDTH * SceneSignature.HEIGHT];
    for (int y = 0; y < SceneSignature.HEIGHT; y++) {
      for (int x = 0; x < SceneSignature.WIDTH; x++) {
        int i = 2 * y * w + 2 * x;
        int sum = (p[i] & 0xff) + (p[i + 1] & 0xff) + (p[i + w] & 0xff) + (p[i + w + 1] & 0xff);
        out[y * SceneSignature.WIDTH + x] = (byte) ((sum + 2) / 4);
      }
    }
    return new SceneSignature(out);
  }

  /** FNV-1a over the pixels. */
  static long hash(byte[] p) {
    long h = 0xcbf29ce484222325L;
    for (byte b : p) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
