package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Guards the assumption training rests on: with one torch thread, an image's backbone features do
 * not depend on the batch it runs in, up to {@link FineTuning#MAX_FORWARD_BATCH}. (With two
 * threads, or batches of 16 and more, this libtorch build computes different, wrong features.)
 */
class BackboneNumericsTest {
  @Test
  void featuresOfAnImageAreTheSameAloneAndInAFullBatch() throws Exception {
    TorchRuntime.start(1);
    float[] tensor;
    try (DecodedImage image =
        new ImageDecoder(ImageLimits.DEFAULT).decode(TestImages.jpeg(512, 384, 21), 224, 224)) {
      tensor = new Preprocessor(InputSpec.mobileNet(224)).toTensor(image);
    }
    int n = FineTuning.MAX_FORWARD_BATCH;
    float[] batch = new float[n * tensor.length];
    for (int i = 0; i < n; i++) {
      System.arraycopy(tensor, 0, batch, i * tensor.length, tensor.length);
    }
    try (Model model = ModelPackage.fromPretrained(TestModels.backbone(), "numerics", 2)) {
      FineTuning tuning = new FineTuning(model, 2);

      float[] alone = tuning.features(tensor, 1, 224, 224);
      float[] inBatch = tuning.features(batch, n, 224, 224);

      for (int i = 0; i < n; i++) {
        for (int d = 0; d < alone.length; d++) {
          assertEquals(
              alone[d], inBatch[i * alone.length + d], 1e-4, "image " + i + " feature " + d);
        }
      }
    }
  }

  /**
   * With oneDNN capped below AVX-512 ({@code ONEDNN_MAX_CPU_ISA}, set by the launcher and the Maven
   * build), two threads and a batch of 16 give the features of one image alone on one thread.
   */
  @Test
  void withTheIsaCappedTwoThreadsAndBatch16AgreeWithOneImageOnOneThread() throws Exception {
    Assumptions.assumeTrue(FineTuning.isaCapped(), "ONEDNN_MAX_CPU_ISA not set");
    float[] tensor;
    try (DecodedImage image =
        new ImageDecoder(ImageLimits.DEFAULT).decode(TestImages.jpeg(512, 384, 22), 224, 224)) {
      tensor = new Preprocessor(InputSpec.mobileNet(224)).toTensor(image);
    }
    int n = 16;
    float[] batch = new float[n * tensor.length];
    for (int i = 0; i < n; i++) {
      System.arraycopy(tensor, 0, batch, i * tensor.length, tensor.length);
    }
    try (Model model = ModelPackage.fromPretrained(TestModels.backbone(), "numerics", 2)) {
      FineTuning tuning = new FineTuning(model, 2);
      float[] alone;
      float[] inBatch;
      try {
        TorchRuntime.start(1);
        alone = tuning.features(tensor, 1, 224, 224);
        TorchRuntime.start(2);
        inBatch = tuning.features(batch, n, 224, 224);
      } finally {
        TorchRuntime.start(1);
      }
      for (int i = 0; i < n; i++) {
        for (int d = 0; d < alone.length; d++) {
          assertEquals(
              alone[d], inBatch[i * alone.length + d], 1e-4, "image " + i + " feature " + d);
        }
      }
    }
  }
}
