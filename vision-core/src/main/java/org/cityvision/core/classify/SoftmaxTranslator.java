package org.cityvision.core.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Feeds a ready batch of tensors and returns the softmax probabilities, {@code count × classes},
 * row-major, and, from a network that also returns them ({@link PooledAndLogits}), the backbone's
 * pooled features of the same pass, {@code count × featureSize}. The NDArrays live in the
 * predictor's per-call manager and are freed when it returns.
 *
 * <p>The images are copied once, from the callers' arrays straight into one direct buffer that the
 * translator keeps for its whole life: libtorch wraps a direct buffer without copying it, and a
 * fresh one per call (what DJL does with a heap array) costs a native allocation and page faults
 * for 0.6 MB per image, released only by a later garbage collection; measured on two cores, two
 * workers ran 6-10% fewer images a second that way (docs/BENCHMARKS.md, "One direct buffer per
 * worker"). The softmax over a handful of logits is computed here, in double precision, rather than
 * as one more libtorch call.
 *
 * <p>Not thread-safe: one translator per {@link ai.djl.inference.Predictor}, used by one thread,
 * and the tensor it hands to libtorch is valid only until the next call.
 */
final class SoftmaxTranslator implements Translator<TensorBatch, SoftmaxTranslator.Output> {
  /**
   * One forward pass's answer.
   *
   * @param probabilities {@code count × classes}, row-major
   * @param features {@code count × featureSize}, row-major; {@code null} when the network returns
   *     logits only
   */
  record Output(float[] probabilities, float[] features) {}

  private final ByteBuffer input;

  /**
   * @param capacity floats of the largest batch this translator will be given
   */
  SoftmaxTranslator(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, got " + capacity);
    }
    this.input =
        ByteBuffer.allocateDirect(Math.multiplyExact(capacity, Float.BYTES))
            .order(ByteOrder.nativeOrder());
  }

  @Override
  public NDList processInput(TranslatorContext ctx, TensorBatch batch) {
    long bytes = batch.floats() * Float.BYTES;
    if (bytes > input.capacity()) {
      throw new IllegalArgumentException(
          "batch of "
              + batch.floats()
              + " floats exceeds the translator's "
              + input.capacity() / Float.BYTES);
    }
    input.clear();
    FloatBuffer floats = input.asFloatBuffer();
    for (float[] image : batch.images()) {
      floats.put(image);
    }
    input.limit((int) bytes);
    NDArray x =
        ctx.getNDManager()
            .create(
                input,
                new Shape(batch.count(), 3, batch.height(), batch.width()),
                DataType.FLOAT32);
    return new NDList(x);
  }

  @Override
  public Output processOutput(TranslatorContext ctx, NDList list) {
    if (list.isEmpty() || list.size() > 2) {
      throw new IllegalStateException(
          "the model returned " + list.size() + " tensors; expected logits (and features)");
    }
    NDArray logits = list.get(0);
    Shape shape = logits.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalStateException(
          "the model returned a tensor of shape " + shape + "; expected (batch, classes)");
    }
    float[] values = logits.toType(DataType.FLOAT32, false).toFloatArray();
    softmaxRows(values, (int) shape.get(1));
    float[] features =
        list.size() == 2 ? list.get(1).toType(DataType.FLOAT32, false).toFloatArray() : null;
    return new Output(values, features);
  }

  /** Replaces each row of {@code classes} logits by its softmax, computed in double precision. */
  static void softmaxRows(float[] values, int classes) {
    if (classes < 1 || values.length % classes != 0) {
      throw new IllegalArgumentException(
          values.length + " logits do not split into rows of " + classes);
    }
    for (int row = 0; row < values.length; row += classes) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = row; c < row + classes; c++) {
        max = Math.max(max, values[c]);
      }
      double sum = 0;
      double[] exp = new double[classes];
      for (int c = 0; c < classes; c++) {
        exp[c] = Math.exp(values[row + c] - max);
        sum += exp[c];
      }
      for (int c = 0; c < classes; c++) {
        values[row + c] = (float) (exp[c] / sum);
      }
    }
  }

  @Override
  public Batchifier getBatchifier() {
    // Batches are formed by the classifier's workers, not by DJL.
    return null;
  }
}
