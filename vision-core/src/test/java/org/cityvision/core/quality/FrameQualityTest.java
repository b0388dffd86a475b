package org.cityvision.core.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.ImageTooLargeException;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.image.UnsupportedImageException;
import org.junit.jupiter.api.Test;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

/** What {@link FrameQuality} measures, on generated frames. */
class FrameQualityTest {
  private final FrameQuality quality = new FrameQuality(ImageLimits.DEFAULT);

  @Test
  void workingImageKeepsAtLeast160By90PixelsWhereTheFrameHasThem() {
    assertEquals(8, FrameQuality.reductionFor(1920, 1080));
    assertEquals(8, FrameQuality.reductionFor(1280, 720));
    assertEquals(4, FrameQuality.reductionFor(640, 360));
    assertEquals(2, FrameQuality.reductionFor(320, 240));
    assertEquals(1, FrameQuality.reductionFor(200, 100));
  }

  @Test
  void jpegIsMeasuredFromAnEighthScaleDecode() throws ImageException {
    FrameAnalysis a = quality.analyze(SyntheticScene.jpeg(1920, 1080, 1, 85));
    assertEquals(8, a.reduction());
    assertEquals(1920, a.width());
    assertEquals(1080, a.height());
    assertEquals(
        FrameAnalysis.GRID_WIDTH * FrameAnalysis.GRID_HEIGHT, Arrays.stream(a.histogram()).sum());
  }

  @Test
  void pngAndJpegOfOneFrameMeasureAlike() throws ImageException {
    Mat scene = FaultCorpus.syntheticBase(1280, 720, 3);
    try {
      FrameAnalysis jpeg =
          quality.analyze(SyntheticScene.encode(scene, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90));
      FrameAnalysis png =
          quality.analyze(
              SyntheticScene.encode(scene, ".png", Imgcodecs.IMWRITE_PNG_COMPRESSION, 1));
      assertEquals(jpeg.meanLuma(), png.meanLuma(), 2.0);
      assertTrue(jpeg.signature().similarity(png.signature()) > 0.95);
      assertEquals(1.0, jpeg.sharpness() / png.sharpness(), 0.35);
    } finally {
      scene.release();
    }
  }

  @Test
  void decodedImagesMeasureAsTheirEncodedForm() throws ImageException {
    Mat scene = FaultCorpus.syntheticBase(1280, 720, 4);
    try {
      byte[] png = SyntheticScene.encode(scene, ".png", Imgcodecs.IMWRITE_PNG_COMPRESSION, 1);
      FrameAnalysis fromBytes = quality.analyze(png);
      FrameAnalysis fromMat = quality.analyze(scene, 1280, 720);
      assertEquals(fromBytes.meanLuma(), fromMat.meanLuma(), 1.0);
      assertEquals(1.0, fromBytes.sharpness() / fromMat.sharpness(), 0.05);
      assertTrue(fromBytes.signature().similarity(fromMat.signature()) > 0.99);
    } finally {
      scene.release();
    }
  }

  @Test
  void identicalBytesHashAlikeAndNewSensorNoiseDoesNot() throws ImageException {
    Mat scene = FaultCorpus.syntheticBase(1280, 720, 5);
    Random random = new Random(1);
    try {
      Mat a = scene.clone();
      Mat b = scene.clone();
      FaultCorpus.addNoise(a, 2, random);
      FaultCorpus.addNoise(b, 2, random);
      byte[] first = SyntheticScene.encode(a, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85);
      byte[] second = SyntheticScene.encode(b, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85);
      assertEquals(quality.analyze(first).pixelHash(), quality.analyze(first.clone()).pixelHash());
      assertNotEquals(quality.analyze(first).pixelHash(), quality.analyze(second).pixelHash());
      a.release();
      b.release();
    } finally {
      scene.release();
    }
  }

  @Test
  void blackAndSaturatedSharesComeFromTheHistogram() throws ImageException {
    Mat scene = FaultCorpus.syntheticBase(640, 360, 6);
    Random random = new Random(2);
    try {
      Mat dark = FaultCorpus.frame(scene, FaultCorpus.Variant.DARKENING, random, null);
      Mat bright = FaultCorpus.frame(scene, FaultCorpus.Variant.OVEREXPOSURE, random, null);
      FrameAnalysis d =
          quality.analyze(SyntheticScene.encode(dark, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85));
      FrameAnalysis b =
          quality.analyze(
              SyntheticScene.encode(bright, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85));
      assertTrue(d.fractionAtOrBelow(32) > 0.98, "dark share " + d.fractionAtOrBelow(32));
      assertTrue(b.fractionAtOrAbove(240) > 0.9, "saturated share " + b.fractionAtOrAbove(240));
      assertTrue(d.contrast() < 20);
      dark.release();
      bright.release();
    } finally {
      scene.release();
    }
  }

  @Test
  void refusesBytesThatAreNotAnImageWithinTheLimits() {
    assertThrows(UnsupportedImageException.class, () -> quality.analyze("not an image".getBytes()));
    FrameQuality tight = new FrameQuality(new ImageLimits(1000, 50_000_000L, 16_384));
    assertThrows(
        ImageTooLargeException.class, () -> tight.analyze(SyntheticScene.jpeg(640, 360, 1, 85)));
  }

  @Test
  void viewSimilarityDropsForAnotherSceneButNotForALightChange() throws ImageException {
    Mat scene = FaultCorpus.syntheticBase(1280, 720, 9);
    Mat other = FaultCorpus.syntheticBase(1280, 720, 10);
    Random random = new Random(3);
    try {
      SceneSignature a =
          quality
              .analyze(FaultCorpus.encode(scene, FaultCorpus.Variant.NOISE_ONLY, random))
              .signature();
      Mat brighter = FaultCorpus.frame(scene, FaultCorpus.Variant.LIGHT_DRIFT, random, null);
      SceneSignature b =
          quality
              .analyze(FaultCorpus.encode(brighter, FaultCorpus.Variant.NOISE_ONLY, random))
              .signature();
      SceneSignature c =
          quality
              .analyze(FaultCorpus.encode(other, FaultCorpus.Variant.NOISE_ONLY, random))
              .signature();
      brighter.release();
      assertTrue(a.similarity(b) > 0.9, "light change " + a.similarity(b));
      assertTrue(a.similarity(c) < 0.4, "another scene " + a.similarity(c));
      assertTrue(a.staticDifference(b) < CameraHealthConfig.DEFAULTS.staticThreshold());
      assertEquals(a, SceneSignature.ofBase64(a.toBase64()));
    } finally {
      scene.release();
      other.release();
    }
  }
}
