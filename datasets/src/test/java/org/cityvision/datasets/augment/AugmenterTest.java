package org.cityvision.datasets.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfDouble;

class AugmenterTest {
  private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
  private final Augmenter augmenter = new Augmenter(AugmentSpec.standard(), 224, 224);

  private static byte[] bytes(Mat m) {
    byte[] out = new byte[(int) (m.total() * m.channels())];
    m.get(0, 0, out);
    return out;
  }

  @Test
  void viewsHaveTheModelInputSizeAndStayEightBitBgr() throws Exception {
    try (DecodedImage image = decoder.decode(TestImages.jpeg(512, 384, 1))) {
      for (int seed = 0; seed < 20; seed++) {
        Mat view = augmenter.view(image.mat(), new Random(seed));
        try {
          assertEquals(224, view.cols());
          assertEquals(224, view.rows());
          assertEquals(CvType.CV_8UC3, view.type());
        } finally {
          view.release();
        }
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameViewAndAnotherSeedAnother() throws Exception {
    try (DecodedImage image = decoder.decode(TestImages.jpeg(320, 240, 2))) {
      Mat a = augmenter.view(image.mat(), new Random(5));
      Mat b = augmenter.view(image.mat(), new Random(5));
      Mat c = augmenter.view(image.mat(), new Random(6));
      try {
        assertArrayEquals(bytes(a), bytes(b));
        assertFalse(Arrays.equals(bytes(a), bytes(c)));
      } finally {
        a.release();
        b.release();
        c.release();
      }
    }
  }

  @Test
  void noAugmentationIsTheServingSquashOfTheWholeImage() throws Exception {
    Preprocessor preprocessor = new Preprocessor(InputSpec.mobileNet(224));
    try (DecodedImage image = decoder.decode(TestImages.jpeg(448, 448, 3))) {
      Mat view = new Augmenter(AugmentSpec.NONE, 224, 224).view(image.mat(), new Random(1));
      Mat served = preprocessor.resize(image.mat());
      try {
        Mat diff = new Mat();
        Core.absdiff(view, served, diff);
        assertEquals(0.0, Core.norm(diff, Core.NORM_INF), 1.0);
        diff.release();
      } finally {
        view.release();
        served.release();
      }
    }
  }

  @Test
  void augmentedTensorsStayInTheModelsInputRange() throws Exception {
    Preprocessor preprocessor = new Preprocessor(InputSpec.mobileNet(224));
    float[] tensor = new float[preprocessor.spec().tensorSize()];
    try (DecodedImage image = decoder.decode(TestImages.jpeg(400, 300, 4))) {
      for (int seed = 0; seed < 10; seed++) {
        Mat view = augmenter.view(image.mat(), new Random(seed));
        try {
          preprocessor.toTensor(view, tensor, 0);
        } finally {
          view.release();
        }
        for (float v : tensor) {
          assertTrue(v >= -1.0001f && v <= 1.0001f, "value " + v);
        }
      }
    }
  }

  @Test
  void refusesOutOfRangeSpecs() {
    assertThrows(
        IllegalArgumentException.class, () -> new AugmentSpec(0, 1, 0, 0, 0, 0, 0, 0, 0, 95, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new AugmentSpec(0.5, 1, 1.5, 0, 0, 0, 0, 0, 0, 95, 0));
  }

  @Test
  void equalisationSpreadsALowContrastViewsLightness() {
    OpenCvRuntime.load();
    // A dim, low-contrast ramp: adaptive equalisation must widen its spread of grey levels.
    Mat flat = new Mat(96, 128, CvType.CV_8UC3);
    byte[] px = new byte[96 * 128 * 3];
    for (int y = 0; y < 96; y++) {
      for (int x = 0; x < 128; x++) {
        int v = 90 + (x + y) / 12 + ((x * 7 + y * 13) % 5);
        for (int c = 0; c < 3; c++) {
          px[(y * 128 + x) * 3 + c] = (byte) v;
        }
      }
    }
    flat.put(0, 0, px);
    AugmentSpec plain = AugmentSpec.NONE;
    AugmentSpec equalised = new AugmentSpec(1, 1, 0, 0, 0, 0, 0, 0, 0, 95, 1);
    Mat a = new Augmenter(plain, 128, 96).view(flat, new Random(3));
    Mat b = new Augmenter(equalised, 128, 96).view(flat, new Random(3));
    try {
      MatOfDouble meanA = new MatOfDouble();
      MatOfDouble sdA = new MatOfDouble();
      MatOfDouble meanB = new MatOfDouble();
      MatOfDouble sdB = new MatOfDouble();
      Core.meanStdDev(a, meanA, sdA);
      Core.meanStdDev(b, meanB, sdB);
      assertTrue(
          sdB.toArray()[0] > 1.3 * sdA.toArray()[0],
          "equalised spread " + sdB.toArray()[0] + " vs plain " + sdA.toArray()[0]);
      assertEquals(0.3, AugmentSpec.named("wide").equalizeProbability());
      assertEquals(0.0, AugmentSpec.light().equalizeProbability());
      assertThrows(
          IllegalArgumentException.class,
          () -> new AugmentSpec(1, 1, 0, 0, 0, 0, 0, 0, 0, 95, 1.5));
    } finally {
      a.release();
      b.release();
      flat.release();
    }
  }
}
