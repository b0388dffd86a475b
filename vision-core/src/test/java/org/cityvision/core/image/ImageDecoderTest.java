package org.cityvision.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.cityvision.core.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);

  @Test
  void decodesJpegAtFullSize() throws Exception {
    try (DecodedImage image = decoder.decode(TestImages.jpeg(640, 480, 1))) {
      assertEquals(640, image.width());
      assertEquals(480, image.height());
      assertEquals(1, image.reduction());
      assertEquals(ImageFormat.JPEG, image.header().format());
    }
  }

  @Test
  void decodesPng() throws Exception {
    try (DecodedImage image = decoder.decode(TestImages.png(300, 200, 2))) {
      assertEquals(300, image.width());
      assertEquals(200, image.height());
      assertEquals(ImageFormat.PNG, image.header().format());
    }
  }

  @Test
  void decodesWebpWhenOpenCvCanEncodeIt() throws Exception {
    Mat scene = TestImages.scene(160, 120, 3);
    byte[] webp = TestImages.encode(scene, ".webp", Imgcodecs.IMWRITE_WEBP_QUALITY, 90);
    scene.release();
    try (DecodedImage image = decoder.decode(webp)) {
      assertEquals(ImageFormat.WEBP, image.header().format());
      assertEquals(160, image.width());
      assertEquals(120, image.height());
    }
  }

  @Test
  void decodes1080pFrameAtReducedScaleWhenModelInputIsSmall() throws Exception {
    byte[] frame = TestImages.jpeg(1920, 1080, 4);
    try (DecodedImage image = decoder.decode(frame, 224, 224)) {
      assertEquals(4, image.reduction());
      assertEquals(480, image.width());
      assertEquals(270, image.height());
    }
  }

  @Test
  void keepsFullScaleWhenReductionWouldGoBelowModelInput() throws Exception {
    try (DecodedImage image = decoder.decode(TestImages.jpeg(400, 300, 5), 224, 224)) {
      assertEquals(1, image.reduction());
      assertEquals(400, image.width());
    }
  }

  @Test
  void identifiesFormatByMagicBytesNotByName() throws Exception {
    assertEquals(ImageFormat.PNG, ImageHeaders.sniff(TestImages.png(20, 20, 6)));
    assertEquals(ImageFormat.JPEG, ImageHeaders.sniff(TestImages.jpeg(20, 20, 6)));
  }

  @Test
  void refusesZeroBytes() {
    ImageException e =
        assertThrows(UnsupportedImageException.class, () -> decoder.decode(new byte[0]));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void refusesText() {
    byte[] text = "hello, this is not an image at all".getBytes(StandardCharsets.UTF_8);
    ImageException e = assertThrows(UnsupportedImageException.class, () -> decoder.decode(text));
    assertTrue(e.getMessage().contains("text"), e.getMessage());
  }

  @Test
  void refusesHtml() {
    byte[] html = "<!DOCTYPE html><html><body>hi</body></html>".getBytes(StandardCharsets.UTF_8);
    ImageException e = assertThrows(UnsupportedImageException.class, () -> decoder.decode(html));
    assertTrue(e.getMessage().contains("HTML"), e.getMessage());
  }

  @Test
  void refusesGif() {
    byte[] gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';'};
    ImageException e = assertThrows(UnsupportedImageException.class, () -> decoder.decode(gif));
    assertTrue(e.getMessage().contains("GIF"), e.getMessage());
  }

  @Test
  void refusesRandomBytes() {
    byte[] random = new byte[4096];
    new Random(7).nextBytes(random);
    random[0] = 0x13;
    assertThrows(UnsupportedImageException.class, () -> decoder.decode(random));
  }

  @Test
  void refusesTruncatedJpeg() {
    byte[] jpeg = TestImages.jpeg(640, 480, 8);
    byte[] truncated = Arrays.copyOf(jpeg, jpeg.length / 2);
    ImageException e = assertThrows(CorruptImageException.class, () -> decoder.decode(truncated));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void refusesJpegCutInsideItsHeaders() {
    byte[] jpeg = TestImages.jpeg(64, 64, 9);
    assertThrows(CorruptImageException.class, () -> decoder.decode(Arrays.copyOf(jpeg, 40)));
  }

  @Test
  void refusesTruncatedPng() {
    byte[] png = TestImages.png(300, 200, 10);
    assertThrows(
        CorruptImageException.class, () -> decoder.decode(Arrays.copyOf(png, png.length - 100)));
  }

  @Test
  void refusesPngDeclaring30000By30000BeforeDecoding() {
    byte[] bomb = pngHeaderOnly(30_000, 30_000);
    ImageException e = assertThrows(ImageTooLargeException.class, () -> decoder.decode(bomb));
    assertTrue(e.getMessage().contains("30000x30000"), e.getMessage());
  }

  @Test
  void refusesBodyOverByteLimit() {
    ImageDecoder small = new ImageDecoder(new ImageLimits(1000, 50_000_000, 16384));
    assertThrows(ImageTooLargeException.class, () -> small.decode(TestImages.jpeg(640, 480, 11)));
  }

  @Test
  void refusesCorruptPixelDataInsideWholePng() {
    byte[] png = TestImages.png(200, 100, 12);
    // Keep the header and the IEND chunk but scramble the compressed pixel data.
    byte[] corrupt = png.clone();
    for (int i = 60; i < corrupt.length - 20; i++) {
      corrupt[i] = (byte) (i * 31);
    }
    assertThrows(CorruptImageException.class, () -> decoder.decode(corrupt));
  }

  @Test
  void appliesExifOrientationSix() throws Exception {
    // Left half red, right half blue; orientation 6 (rotate 90 clockwise) puts red on top.
    Mat mat = new Mat(32, 64, CvType.CV_8UC3, new Scalar(255, 0, 0));
    Imgproc.rectangle(mat, new Point(0, 0), new Point(31, 31), new Scalar(0, 0, 255), -1);
    byte[] jpeg =
        withExifOrientation(TestImages.encode(mat, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 95), 6);
    mat.release();
    assertEquals(6, ImageHeaders.read(jpeg).orientation());
    try (DecodedImage image = decoder.decode(jpeg)) {
      assertEquals(32, image.width());
      assertEquals(64, image.height());
      double[] top = image.mat().get(8, 16);
      double[] bottom = image.mat().get(56, 16);
      assertTrue(top[2] > 200 && top[0] < 60, "top should be red, was " + Arrays.toString(top));
      assertTrue(
          bottom[0] > 200 && bottom[2] < 60,
          "bottom should be blue, was " + Arrays.toString(bottom));
    }
  }

  @Test
  void thumbnailIsSmallJpegKeepingAspect() throws Exception {
    try (DecodedImage image = decoder.decode(TestImages.jpeg(1920, 1080, 13))) {
      byte[] thumb = image.thumbnailJpeg(320, 80);
      ImageHeader header = ImageHeaders.read(thumb);
      assertEquals(320, header.width());
      assertEquals(180, header.height());
    }
  }

  @Test
  void reducedDecodeMatchesFullDecodeClosely() throws Exception {
    byte[] frame = TestImages.jpeg(1920, 1080, 14);
    Preprocessor prep = new Preprocessor(InputSpec.mobileNet(224));
    float[] full;
    float[] reduced;
    try (DecodedImage image = decoder.decode(frame)) {
      full = prep.toTensor(image);
    }
    try (DecodedImage image = decoder.decode(frame, 224, 224)) {
      reduced = prep.toTensor(image);
    }
    double sum = 0;
    for (int i = 0; i < full.length; i++) {
      sum += Math.abs(full[i] - reduced[i]);
    }
    double meanAbs = sum / full.length;
    // Values span [-1, 1]; DCT-domain scaling differs from area resizing by a few grey levels.
    assertTrue(meanAbs < 0.05, "mean absolute difference " + meanAbs);
  }

  @Test
  void headerReaderNeverThrowsUncheckedOnGarbage() {
    Random random = new Random(15);
    byte[] jpeg = TestImages.jpeg(64, 48, 16);
    for (int i = 0; i < 300; i++) {
      byte[] mutated = Arrays.copyOf(jpeg, 1 + random.nextInt(jpeg.length));
      for (int j = 0; j < 5; j++) {
        mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      }
      try {
        decoder.decode(mutated).close();
      } catch (ImageException expected) {
        // Refusing is fine; crashing or throwing anything else is not.
      }
    }
  }

  static byte[] pngHeaderOnly(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    out.writeBytes(new byte[] {0, 0, 0, 13, 'I', 'H', 'D', 'R'});
    out.writeBytes(
        new byte[] {
          (byte) (width >>> 24), (byte) (width >>> 16), (byte) (width >>> 8), (byte) width
        });
    out.writeBytes(
        new byte[] {
          (byte) (height >>> 24), (byte) (height >>> 16), (byte) (height >>> 8), (byte) height
        });
    out.writeBytes(new byte[] {8, 2, 0, 0, 0, 0, 0, 0, 0});
    out.writeBytes(
        new byte[] {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82});
    return out.toByteArray();
  }

  /** Inserts a minimal big-endian EXIF APP1 segment with one orientation entry after SOI. */
  static byte[] withExifOrientation(byte[] jpeg, int orientation) {
    byte[] tiff = {
      'M',
      'M',
      0,
      42,
      0,
      0,
      0,
      8,
      0,
      1,
      0x01,
      0x12,
      0,
      3,
      0,
      0,
      0,
      1,
      0,
      (byte) orientation,
      0,
      0,
      0,
      0,
      0,
      0
    };
    byte[] exif = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    int length = 2 + exif.length + tiff.length;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xFF);
    out.write(0xD8);
    out.write(0xFF);
    out.write(0xE1);
    out.write(length >> 8);
    out.write(length & 0xFF);
    out.writeBytes(exif);
    out.writeBytes(tiff);
    out.write(jpeg, 2, jpeg.length - 2);
    byte[] result = out.toByteArray();
    assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xD8}, Arrays.copyOf(result, 2));
    return result;
  }
}
