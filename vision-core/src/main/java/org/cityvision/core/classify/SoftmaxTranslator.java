package org.cityvision.core.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;

/**
 * Feeds a ready batch of tensors and returns the softmax probabilities, {@code count × classes},
 * row-major. The NDArrays live in the predictor's per-call manager and are freed when it returns.
 */
final class SoftmaxTranslator implements Translator<TensorBatch, float[]> {
  @Override
  public NDList processInput(TranslatorContext ctx, TensorBatch batch) {
    int size = batch.count() * 3 * batch.height() * batch.width();
    NDArray x = ctx.getNDManager().create(FloatBuffer.wrap(batch.data(), 0, size),
        new Shape(batch.count(), 3, batch.height(), batch.width()));
    return new NDList(x);
  }

  @Override
  public float[] processOutput(TranslatorContext ctx, NDList list) {
    return list.singletonOrThrow().softmax(1).toFloatArray();
  }

  @Override
  public Batchifier getBatchifier() {
    // Batches are formed by the classifier's workers, not by DJL.
    return null;
  }
}
