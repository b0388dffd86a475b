package org.cityvision.core.image;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads an encoded image's format, dimensions and EXIF orientation from its first bytes, and checks
 * that the stream is complete, without decoding a pixel. This is what lets the decoder refuse
 * decompression bombs and truncated uploads before OpenCV allocates anything.
 *
 * <p>Stateless and thread-safe.
 */
public final class ImageHeaders {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  private ImageHeaders() {}

  /**
   * Identifies the format by magic bytes alone.
   *
   * @throws UnsupportedImageException if the bytes are not JPEG, PNG or WebP
   */
  public static ImageFormat sniff(byte[] data) throws UnsupportedImageException {
    if (data.length == 0) {
      throw new UnsupportedImageException(
          "the body is empty (0 bytes): expected a JPEG, PNG or WebP image");
    }
    if (data.length >= 3 && u8(data, 0) == 0xFF && u8(data, 1) == 0xD8 && u8(data, 2) == 0xFF) {
      return ImageFormat.JPEG;
    }
    if (startsWith(data, 0, PNG_SIGNATURE)) {
      return ImageFormat.PNG;
    }
    if (data.length >= 12 && ascii(data, 0, 4).equals("RIFF") && ascii(data, 8, 4).equals("WEBP")) {
      return ImageFormat.WEBP;
    }
    throw new UnsupportedImageException(
        "not a JPEG, PNG or WebP image ("
            + describe(data)
            + "); the format is read from the bytes, not the declared type");
  }

  /**
   * Reads the header and checks the stream is whole.
   *
   * @throws UnsupportedImageException if the format is not accepted
   * @throws CorruptImageException if the header is malformed or the stream is truncated
   */
  public static ImageHeader read(byte[] data) throws ImageException {
    ImageFormat format = sniff(data);
    try {
      return switch (format) {
        case JPEG -> readJpeg(data);
        case PNG -> readPng(data);
        case WEBP -> readWebp(data);
      };
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new CorruptImageException(
          format + " header is truncated (" + data.length + " bytes in all)", e);
    }
  }

  private static ImageHeader readJpeg(byte[] d) throws CorruptImageException {
    int pos = 2;
    int width = -1;
    int height = -1;
    int orientation = 1;
    int scanStart = -1;
    while (pos < d.length) {
      if (u8(d, pos) != 0xFF) {
        throw new CorruptImageException(
            "JPEG marker expected at byte " + pos + ", found 0x" + Integer.toHexString(u8(d, pos)));
      }
      while (pos < d.length && u8(d, pos) == 0xFF) {
        pos++;
      }
      if (pos >= d.length) {
        break;
      }
      int marker = u8(d, pos);
      pos++;
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue;
      }
      if (marker == 0xD9) {
        throw new CorruptImageException("JPEG ends (EOI) before any image scan");
      }
      if (pos + 2 > d.length) {
        break;
      }
      int length = u16be(d, pos);
      if (length < 2 || pos + length > d.length) {
        throw new CorruptImageException(
            "JPEG segment 0x"
                + Integer.toHexString(marker)
                + " at byte "
                + pos
                + " runs past the end of the data: the file is truncated");
      }
      boolean startOfFrame =
          marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (startOfFrame) {
        height = u16be(d, pos + 3);
        width = u16be(d, pos + 5);
      } else if (marker == 0xE1 && length >= 8 && ascii(d, pos + 2, 4).equals("Exif")) {
        orientation = exifOrientation(d, pos + 8, pos + length);
      } else if (marker == 0xDA) {
        scanStart = pos + length;
        break;
      }
      pos += length;
    }
    if (scanStart < 0) {
      throw new CorruptImageException(
          "JPEG has no image scan: the file is truncated or not a complete JPEG");
    }
    if (width <= 0 || height <= 0) {
      throw new CorruptImageException(
          "JPEG has no frame header with valid dimensions (got " + width + "x" + height + ")");
    }
    if (!containsEndOfImage(d, scanStart)) {
      throw new CorruptImageException(
          "JPEG has no end-of-image marker after its scan: the file is truncated");
    }
    return new ImageHeader(ImageFormat.JPEG, width, height, orientation);
  }

  /** Searches backwards, so that the usual case (EOI in the last two bytes) costs nothing. */
  private static boolean containsEndOfImage(byte[] d, int from) {
    for (int i = d.length - 2; i >= from; i--) {
      if (u8(d, i) == 0xFF && u8(d, i + 1) == 0xD9) {
        return true;
      }
    }
    return false;
  }

  /** A malformed EXIF block is not a reason to refuse a frame: it reads as upright. */
  private static int exifOrientation(byte[] d, int tiff, int end) {
    if (tiff + 8 > end) {
      return 1;
    }
    boolean little = u8(d, tiff) == 'I' && u8(d, tiff + 1) == 'I';
    boolean big = u8(d, tiff) == 'M' && u8(d, tiff + 1) == 'M';
    if (!little && !big) {
      return 1;
    }
    long ifd = tiff + u32(d, tiff + 4, little);
    if (ifd + 2 > end) {
      return 1;
    }
    int entries = u16(d, (int) ifd, little);
    for (int i = 0; i < entries; i++) {
      int entry = (int) ifd + 2 + i * 12;
      if (entry + 12 > end) {
        return 1;
      }
      if (u16(d, entry, little) == 0x0112) {
        int value = u16(d, entry + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  private static ImageHeader readPng(byte[] d) throws CorruptImageException {
    if (d.length < 33 || !ascii(d, 12, 4).equals("IHDR")) {
      throw new CorruptImageException("PNG has no IHDR chunk: the file is truncated or corrupt");
    }
    long width = u32(d, 16, false);
    long height = u32(d, 20, false);
    if (width <= 0 || height <= 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
      throw new CorruptImageException("PNG declares invalid dimensions " + width + "x" + height);
    }
    if (!containsAscii(d, "IEND", Math.max(33, d.length - 64))) {
      throw new CorruptImageException("PNG has no IEND chunk at its end: the file is truncated");
    }
    return new ImageHeader(ImageFormat.PNG, (int) width, (int) height, 1);
  }

  private static ImageHeader readWebp(byte[] d) throws CorruptImageException {
    long riffSize = u32(d, 4, true);
    if (riffSize + 8 > d.length) {
      throw new CorruptImageException(
          "WebP declares "
              + (riffSize + 8)
              + " bytes but has "
              + d.length
              + ": the file is truncated");
    }
    String chunk = ascii(d, 12, 4);
    int width;
    int height;
    switch (chunk) {
      case "VP8 " -> {
        width = u16(d, 26, true) & 0x3FFF;
        height = u16(d, 28, true) & 0x3FFF;
      }
      case "VP8L" -> {
        int b1 = u8(d, 22);
        int b2 = u8(d, 23);
        int b3 = u8(d, 24);
        width = 1 + (u8(d, 21) | (b1 & 0x3F) << 8);
        height = 1 + ((b1 >> 6) | b2 << 2 | (b3 & 0x0F) << 10);
      }
      case "VP8X" -> {
        width = 1 + (u8(d, 24) | u8(d, 25) << 8 | u8(d, 26) << 16);
        height = 1 + (u8(d, 27) | u8(d, 28) << 8 | u8(d, 29) << 16);
      }
      default -> throw new CorruptImageException("WebP has an unknown first chunk '" + chunk + "'");
    }
    if (width <= 0 || height <= 0) {
      throw new CorruptImageException("WebP declares invalid dimensions " + width + "x" + height);
    }
    return new ImageHeader(ImageFormat.WEBP, width, height, 1);
  }

  private static String describe(byte[] d) {
    if (d.length >= 6 && (ascii(d, 0, 6).equals("GIF87a") || ascii(d, 0, 6).equals("GIF89a"))) {
      return "it is a GIF";
    }
    if (d.length >= 2 && ascii(d, 0, 2).equals("BM")) {
      return "it is a BMP";
    }
    if (d.length >= 12 && ascii(d, 4, 4).equals("ftyp")) {
      return "it is an ISO media file such as HEIC or MP4";
    }
    String head =
        new String(d, 0, Math.min(d.length, 64), StandardCharsets.ISO_8859_1)
            .trim()
            .toLowerCase(Locale.ROOT);
    if (head.startsWith("<!doctype html") || head.startsWith("<html")) {
      return "it is HTML";
    }
    if (head.startsWith("{") || head.startsWith("[")) {
      return "it looks like JSON";
    }
    boolean printable = true;
    for (int i = 0; i < Math.min(d.length, 64); i++) {
      int c = u8(d, i);
      if (c < 0x09 || (c > 0x0D && c < 0x20) || c == 0x7F) {
        printable = false;
        break;
      }
    }
    return printable ? "it looks like text" : "unrecognised leading bytes";
  }

  private static boolean startsWith(byte[] d, int offset, byte[] prefix) {
    if (d.length < offset + prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (d[offset + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean containsAscii(byte[] d, String s, int from) {
    byte[] needle = s.getBytes(StandardCharsets.US_ASCII);
    for (int i = d.length - needle.length; i >= from; i--) {
      if (startsWith(d, i, needle)) {
        return true;
      }
    }
    return false;
  }

  private static String ascii(byte[] d, int offset, int length) {
    if (offset + length > d.length) {
      return "";
    }
    return new String(d, offset, length, StandardCharsets.ISO_8859_1);
  }

  private static int u8(byte[] d, int i) {
    return d[i] & 0xFF;
  }

  private static int u16be(byte[] d, int i) {
    return u8(d, i) << 8 | u8(d, i + 1);
  }

  private static int u16(byte[] d, int i, boolean little) {
    return little ? u8(d, i) | u8(d, i + 1) << 8 : u16be(d, i);
  }

  private static long u32(byte[] d, int i, boolean little) {
    if (little) {
      return (long) u8(d, i)
          | (long) u8(d, i + 1) << 8
          | (long) u8(d, i + 2) << 16
          | (long) u8(d, i + 3) << 24;
    }
    return (long) u8(d, i) << 24
        | (long) u8(d, i + 1) << 16
        | (long) u8(d, i + 2) << 8
        | u8(d, i + 3);
  }
}
