package org.cityvision.core.image;

import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * A decoded, upright 8-bit BGR image in native memory, with the header it came from.
 *
 * <p><b>The image must be closed</b>: it owns an OpenCV {@link Mat}. Not thread-safe; one owner at
 * a time.
 */
public final class DecodedImage implements AutoCloseable {
  private final Mat mat;
  private final ImageHeader header;
  private final int reduction;

  DecodedImage(Mat mat, ImageHeader header, int reduction) {
    this.mat = mat;
    this.header = header;
    this.reduction = reduction;
  }

  /** The pixels, BGR, CV_8UC3; still owned by this image. */
  public Mat mat() {
    return mat;
  }

  /** The header of the encoded image (its full stored size, before any reduction). */
  public ImageHeader header() {
    return header;
  }

  /** The DCT-domain reduction used when decoding: 1 (full size), 2, 4 or 8. */
  public int reduction() {
    return reduction;
  }

  public int width() {
    return mat.cols();
  }

  public int height() {
    return mat.rows();
  }

  /**
   * Encodes a JPEG thumbnail whose longer side is at most {@code maxSide} (never enlarged).
   *
   * @param quality JPEG quality 1..100
   */
  public byte[] thumbnailJpeg(int maxSide, int quality) {
    if (maxSide < 1 || quality < 1 || quality > 100) {
      throw new IllegalArgumentException(
          "maxSide must be positive and quality 1..100, got " + maxSide + ", " + quality);
    }
    double scale = Math.min(1.0, (double) maxSide / Math.max(width(), height()));
    Mat small = new Mat();
    MatOfByte out = new MatOfByte();
    MatOfInt params = new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, quality);
    try {
      Size size =
          new Size(
              Math.max(1, Math.round(width() * scale)), Math.max(1, Math.round(height() * scale)));
      Imgproc.resize(mat, small, size, 0, 0, Imgproc.INTER_AREA);
      if (!Imgcodecs.imencode(".jpg", small, out, params)) {
        throw new IllegalStateException("OpenCV failed to encode a " + size + " JPEG thumbnail");
      }
      return out.toArray();
    } finally {
      small.release();
      out.release();
      params.release();
    }
  }

  @Override
  public void close() {
    mat.release();
  }
}
