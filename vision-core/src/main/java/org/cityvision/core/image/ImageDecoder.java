package org.cityvision.core.image;

import java.util.Set;
import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * Validates and decodes encoded images with OpenCV: format by magic bytes, size limits from the
 * header before any pixel is decoded, completeness, EXIF orientation, and reduced-scale JPEG
 * decoding when the caller needs far fewer pixels than the image has.
 *
 * <p>Immutable and thread-safe; every decoded image it returns belongs to the caller, who closes
 * it.
 */
public final class ImageDecoder {
  private final ImageLimits limits;

  public ImageDecoder(ImageLimits limits) {
    if (limits == null) {
      throw new IllegalArgumentException("limits are required");
    }
    OpenCvRuntime.load();
    this.limits = limits;
  }

  public ImageLimits limits() {
    return limits;
  }

  /**
   * Checks the body against the limits and reads its header, without decoding pixels.
   *
   * @throws ImageTooLargeException above the byte, pixel or side limit
   * @throws UnsupportedImageException not JPEG, PNG or WebP
   * @throws CorruptImageException truncated or malformed
   */
  public ImageHeader inspect(byte[] data) throws ImageException {
    if (data.length > limits.maxBytes()) {
      throw new ImageTooLargeException(
          "image body is " + data.length + " bytes; the limit is " + limits.maxBytes());
    }
    ImageHeader header = ImageHeaders.read(data);
    if (header.width() > limits.maxSide() || header.height() > limits.maxSide()) {
      throw new ImageTooLargeException(
          "image declares "
              + header.width()
              + "x"
              + header.height()
              + " pixels; the limit is "
              + limits.maxSide()
              + " a side");
    }
    if (header.pixels() > limits.maxPixels()) {
      throw new ImageTooLargeException(
          "image declares "
              + header.width()
              + "x"
              + header.height()
              + " = "
              + header.pixels()
              + " pixels; the limit is "
              + limits.maxPixels());
    }
    return header;
  }

  /**
   * Refuses an image whose format the caller does not take (camera frames are stored as received,
   * so JPEG and PNG only).
   *
   * @throws UnsupportedImageException the format is not {@code accepted}
   */
  public static void requireFormat(ImageHeader header, Set<ImageFormat> accepted)
      throws UnsupportedImageException {
    if (!accepted.contains(header.format())) {
      throw new UnsupportedImageException(
          "this endpoint takes "
              + accepted.stream().map(ImageFormat::name).sorted().toList()
              + " images, got "
              + header.format());
    }
  }

  /** Decodes at full size. */
  public DecodedImage decode(byte[] data) throws ImageException {
    return decode(data, 0, 0);
  }

  /**
   * Decodes, at a reduced scale where the format allows it and the result still covers {@code
   * minWidth} × {@code minHeight} (as displayed); 0 means full size.
   */
  public DecodedImage decode(byte[] data, int minWidth, int minHeight) throws ImageException {
    ImageHeader header = inspect(data);
    int reduction =
        header.format() == ImageFormat.JPEG ? reductionFor(header, minWidth, minHeight) : 1;
    int flags =
        Imgcodecs.IMREAD_IGNORE_ORIENTATION
            | switch (reduction) {
              case 2 -> Imgcodecs.IMREAD_REDUCED_COLOR_2;
              case 4 -> Imgcodecs.IMREAD_REDUCED_COLOR_4;
              case 8 -> Imgcodecs.IMREAD_REDUCED_COLOR_8;
              default -> Imgcodecs.IMREAD_COLOR;
            };
    MatOfByte encoded = new MatOfByte(data);
    Mat mat;
    try {
      mat = Imgcodecs.imdecode(encoded, flags);
    } catch (RuntimeException e) {
      throw new CorruptImageException(
          header.format() + " could not be decoded: " + e.getMessage(), e);
    } finally {
      encoded.release();
    }
    if (mat == null || mat.empty()) {
      if (mat != null) {
        mat.release();
      }
      throw new CorruptImageException(
          header.format()
              + " "
              + header.width()
              + "x"
              + header.height()
              + " could not be decoded: the data is corrupt");
    }
    int expectedWidth = (header.width() + reduction - 1) / reduction;
    int expectedHeight = (header.height() + reduction - 1) / reduction;
    if (Math.abs(mat.cols() - expectedWidth) > 1
        || Math.abs(mat.rows() - expectedHeight) > 1
        || mat.channels() != 3) {
      int cols = mat.cols();
      int rows = mat.rows();
      mat.release();
      throw new CorruptImageException(
          "decoded "
              + cols
              + "x"
              + rows
              + " but the header says "
              + header.width()
              + "x"
              + header.height()
              + " (reduction "
              + reduction
              + ")");
    }
    return new DecodedImage(orient(mat, header.orientation()), header, reduction);
  }

  /** The largest of 8, 4, 2 that keeps both displayed sides at or above the minimum. */
  static int reductionFor(ImageHeader header, int minWidth, int minHeight) {
    if (minWidth <= 0 || minHeight <= 0) {
      return 1;
    }
    for (int factor : new int[] {8, 4, 2}) {
      if (header.displayWidth() / factor >= minWidth
          && header.displayHeight() / factor >= minHeight) {
        return factor;
      }
    }
    return 1;
  }

  /** Applies an EXIF orientation; takes ownership of {@code mat} and returns the upright one. */
  private static Mat orient(Mat mat, int orientation) {
    if (orientation == 1) {
      return mat;
    }
    Mat out = new Mat();
    try {
      switch (orientation) {
        case 2 -> Core.flip(mat, out, 1);
        case 3 -> Core.rotate(mat, out, Core.ROTATE_180);
        case 4 -> Core.flip(mat, out, 0);
        case 5 -> Core.transpose(mat, out);
        case 6 -> Core.rotate(mat, out, Core.ROTATE_90_CLOCKWISE);
        case 7 -> {
          Core.transpose(mat, out);
          Core.flip(out, out, -1);
        }
        case 8 -> Core.rotate(mat, out, Core.ROTATE_90_COUNTERCLOCKWISE);
        default -> throw new IllegalArgumentException("EXIF orientation " + orientation);
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    } finally {
      mat.release();
    }
  }
}
