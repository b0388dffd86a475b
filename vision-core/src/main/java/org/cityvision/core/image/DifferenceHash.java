package org.cityvision.core.image;

import java.util.HexFormat;
import java.util.regex.Pattern;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * A 64-bit difference hash (dHash) of an image with its confidence mask: the picture reduced to 9×8
 * grey cells (area averages) and one bit per horizontally adjacent pair, set when the left cell is
 * brighter, plus one mask bit per pair telling whether the two cells differ by at least {@value
 * #MARGIN} grey levels. Two frames of one scene differ in few confident bits (sensor noise, JPEG
 * artefacts and a uniform change of light leave clear gradients alone); unrelated scenes in about
 * half of them. Pairs inside a flat area (sky, a plain wall, a road) are near ties whose bit sensor
 * noise flips at random, so the {@linkplain #distance distance} counts only pairs that are
 * confident in both hashes. The review queue groups near-duplicate flags by this distance.
 *
 * <p>Immutable and thread-safe.
 *
 * @param bits the 64 comparison bits, row-major, the top-left pair in the highest bit
 * @param mask the pairs whose cells differ by at least {@value #MARGIN} grey levels
 */
public record DifferenceHash(long bits, long mask) {
  /** Grey levels (of 255) two cells must differ by for their bit to count. */
  public static final int MARGIN = 2;

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{32}");

  /**
   * The hash of an encoded image (a frame's JPEG thumbnail, or any JPEG or PNG), decoded in grey.
   *
   * @throws CorruptImageException when the bytes do not decode to an image
   */
  public static DifferenceHash of(byte[] encoded) throws CorruptImageException {
    if (encoded == null || encoded.length == 0) {
      throw new CorruptImageException("cannot hash an empty image");
    }
    OpenCvRuntime.load();
    MatOfByte buffer = new MatOfByte(encoded);
    Mat gray = null;
    Mat cells = new Mat();
    try {
      gray = Imgcodecs.imdecode(buffer, Imgcodecs.IMREAD_GRAYSCALE);
      if (gray == null || gray.empty()) {
        throw new CorruptImageException(
            "image of " + encoded.length + " bytes could not be decoded to hash it");
      }
      Imgproc.resize(gray, cells, new Size(9, 8), 0, 0, Imgproc.INTER_AREA);
      byte[] grey = new byte[9 * 8];
      cells.get(0, 0, grey);
      return ofCells(grey);
    } finally {
      buffer.release();
      cells.release();
      if (gray != null) {
        gray.release();
      }
    }
  }

  /**
   * The hash of 9×8 grey cells, row-major (what {@link #of} computes after decoding and reducing).
   */
  public static DifferenceHash ofCells(byte[] cells) {
    if (cells == null || cells.length != 9 * 8) {
      throw new IllegalArgumentException(
          "a difference hash needs 9x8 = 72 grey cells, got "
              + (cells == null ? "null" : cells.length));
    }
    long bits = 0;
    long mask = 0;
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        int left = cells[y * 9 + x] & 0xff;
        int right = cells[y * 9 + x + 1] & 0xff;
        bits = (bits << 1) | (left > right ? 1 : 0);
        mask = (mask << 1) | (Math.abs(left - right) >= MARGIN ? 1 : 0);
      }
    }
    return new DifferenceHash(bits, mask);
  }

  /** The hash written by {@link #hex()}: 32 lowercase hex digits, the bits then the mask. */
  public static DifferenceHash parse(String hex) {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException(
          "a difference hash is 32 lowercase hex digits, got " + hex);
    }
    return new DifferenceHash(
        Long.parseUnsignedLong(hex.substring(0, 16), 16),
        Long.parseUnsignedLong(hex.substring(16), 16));
  }

  /** 32 lowercase hex digits: the bits, then the mask. */
  public String hex() {
    return HexFormat.of().toHexDigits(bits) + HexFormat.of().toHexDigits(mask);
  }

  /**
   * How many of the pairs confident in both hashes compare the other way: 0 for the same picture,
   * about half the shared confident pairs for unrelated ones.
   */
  public int distance(DifferenceHash other) {
    return Long.bitCount((bits ^ other.bits) & mask & other.mask);
  }

  @Override
  public String toString() {
    return hex();
  }
}
