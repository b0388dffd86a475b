package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftmaxTranslatorTest {
  private static final int SIDE = 96;
  private static final int CLASSES = TestModels.WASTE_LABELS.size();

  @TempDir Path dir;

  @Test
  void softmaxRowsMatchesTheDefinitionRowByRow() {
    float[] values = {0f, (float) Math.log(2), (float) Math.log(3), 5f, 5f, 5f};
    SoftmaxTranslator.softmaxRows(values, 3);
    assertArrayEquals(new float[] {1 / 6f, 2 / 6f, 3 / 6f, 1 / 3f, 1 / 3f, 1 / 3f}, values, 1e-6f);
  }

  @Test
  void softmaxRowsStaysFiniteForLogitsThatOverflowExp() {
    float[] values = {1000f, 1001f, -1000f};
    SoftmaxTranslator.softmaxRows(values, 3);
    float e = (float) Math.E;
    assertArrayEquals(new float[] {1 / (1 + e), e / (1 + e), 0f}, values, 1e-6f);
  }

  @Test
  void softmaxRowsRefusesLogitsThatDoNotSplitIntoRows() {
    assertThrows(
        IllegalArgumentException.class, () -> SoftmaxTranslator.softmaxRows(new float[7], 3));
    assertThrows(
        IllegalArgumentException.class, () -> SoftmaxTranslator.softmaxRows(new float[6], 0));
  }

  /**
   * The translator reuses one input buffer: every call must see only its own batch, whatever ran
   * before it, and give what libtorch's own softmax gives on the same logits.
   */
  @Test
  void reusedBufferGivesLibtorchsSoftmaxForEveryBatchInAnyOrder() throws Exception {
    ModelPackage pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, SIDE);
    TorchRuntime.start(1);
    int size = 3 * SIDE * SIDE;
    float[] images = new float[3 * size];
    Random random = new Random(7);
    for (int i = 0; i < images.length; i++) {
      images[i] = random.nextFloat() * 4 - 2;
    }
    List<float[]> each =
        List.of(
            Arrays.copyOfRange(images, 0, size),
            Arrays.copyOfRange(images, size, 2 * size),
            Arrays.copyOfRange(images, 2 * size, 3 * size));
    try (Model model = pkg.loadModel();
        Predictor<TensorBatch, SoftmaxTranslator.Output> predictor =
            model.newPredictor(new SoftmaxTranslator(images.length));
        Predictor<NDList, NDList> raw = model.newPredictor(new NoopTranslator());
        NDManager manager = model.getNDManager().newSubManager()) {
      float[] three = predictor.predict(new TensorBatch(each, SIDE, SIDE)).probabilities();
      float[] expected;
      try (NDArray x = manager.create(images, new Shape(3, 3, SIDE, SIDE));
          NDList out = raw.predict(new NDList(x))) {
        expected = out.singletonOrThrow().softmax(1).toFloatArray();
      }
      assertEquals(3 * CLASSES, three.length);
      assertArrayEquals(expected, three, 1e-6f);
      for (int row = 0; row < 3; row++) {
        double sum = 0;
        for (int c = 0; c < CLASSES; c++) {
          sum += three[row * CLASSES + c];
        }
        assertEquals(1.0, sum, 1e-5);
      }

      // A smaller batch after a larger one: the stale tail of the buffer must not be read.
      float[] alone =
          predictor.predict(new TensorBatch(List.of(each.get(1)), SIDE, SIDE)).probabilities();
      assertArrayEquals(Arrays.copyOfRange(three, CLASSES, 2 * CLASSES), alone, 1e-5f);
      float[] again = predictor.predict(new TensorBatch(each, SIDE, SIDE)).probabilities();
      assertArrayEquals(three, again, 0f);
    }
  }

  @Test
  void aBatchLargerThanTheBufferIsRefused() throws Exception {
    ModelPackage pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, SIDE);
    TorchRuntime.start(1);
    int size = 3 * SIDE * SIDE;
    try (Model model = pkg.loadModel();
        Predictor<TensorBatch, SoftmaxTranslator.Output> predictor =
            model.newPredictor(new SoftmaxTranslator(size))) {
      TranslateException e =
          assertThrows(
              TranslateException.class,
              () ->
                  predictor.predict(
                      new TensorBatch(List.of(new float[size], new float[size]), SIDE, SIDE)));
      assertTrue(
          String.valueOf(e.getMessage()).contains("exceeds")
              || String.valueOf(e.getCause()).contains("exceeds"),
          String.valueOf(e));
    }
  }
}
