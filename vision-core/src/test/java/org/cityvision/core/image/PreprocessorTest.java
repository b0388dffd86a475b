package org.cityvision.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.cityvision.core.testing.TestImages;
import org.junit.jupiter.api.Test;
import org.opencv.core.Mat;

class PreprocessorTest {

  @Test
  void matchesStraightforwardReferenceForUniformNormalisation() {
    assertMatchesReference(InputSpec.mobileNet(224), 640, 480);
  }

  @Test
  void matchesReferenceForPerChannelNormalisationInBgrWithCentreCrop() {
    InputSpec spec =
        new InputSpec(
            160,
            128,
            ResizePolicy.CENTER_CROP,
            ChannelOrder.BGR,
            List.of(103.9, 116.8, 123.7),
            List.of(57.4, 57.1, 58.4));
    assertMatchesReference(spec, 500, 300);
  }

  @Test
  void matchesReferenceForRgbImageNetStatisticsWhenEnlarging() {
    InputSpec spec =
        new InputSpec(
            224,
            224,
            ResizePolicy.SQUASH,
            ChannelOrder.RGB,
            List.of(123.675, 116.28, 103.53),
            List.of(58.395, 57.12, 57.375));
    assertMatchesReference(spec, 100, 80);
  }

  @Test
  void writesIntoBatchAtOffset() {
    InputSpec spec = InputSpec.mobileNet(32);
    Preprocessor prep = new Preprocessor(spec);
    Mat scene = TestImages.scene(64, 64, 3);
    try {
      float[] batch = new float[3 * spec.tensorSize()];
      prep.toTensor(scene, batch, spec.tensorSize());
      float[] single = new float[spec.tensorSize()];
      prep.toTensor(scene, single, 0);
      for (int i = 0; i < spec.tensorSize(); i++) {
        assertEquals(0f, batch[i]);
        assertEquals(single[i], batch[spec.tensorSize() + i]);
      }
    } finally {
      scene.release();
    }
  }

  /**
   * Per-pixel Java over the same resized bytes: the obvious implementation the fast one must equal.
   */
  private static void assertMatchesReference(InputSpec spec, int width, int height) {
    Preprocessor prep = new Preprocessor(spec);
    Mat scene = TestImages.scene(width, height, 42);
    Mat resized = prep.resize(scene);
    try {
      float[] fast = new float[spec.tensorSize()];
      prep.toTensor(scene, fast, 0);
      byte[] bgr = new byte[(int) resized.total() * 3];
      resized.get(0, 0, bgr);
      int w = spec.width();
      int h = spec.height();
      double maxDiff = 0;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int c = 0; c < 3; c++) {
            int bgrIndex = spec.channelOrder() == ChannelOrder.RGB ? 2 - c : c;
            int pixel = bgr[(y * w + x) * 3 + bgrIndex] & 0xFF;
            double expected = (pixel - spec.mean().get(c)) / spec.std().get(c);
            double actual = fast[c * w * h + y * w + x];
            maxDiff = Math.max(maxDiff, Math.abs(expected - actual));
          }
        }
      }
      assertTrue(maxDiff <= 1e-5, "max difference " + maxDiff);
    } finally {
      scene.release();
      resized.release();
    }
  }
}
