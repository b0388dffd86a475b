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
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;

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
        IllegalArgumentException.class, () -> new AugmentSpec(0, 1, 0, 0, 0, 0, 0, 0, 0, 95));
    assertThrows(
        IllegalArgumentException.class, () -> new AugmentSpec(0.5, 1, 1.5, 0, 0, 0, 0, 0, 0, 95));
  }
}
