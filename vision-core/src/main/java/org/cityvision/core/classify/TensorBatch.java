package org.cityvision.core.classify;

/**
 * Input of one forward pass: {@code count} CHW tensors laid end to end in {@code data}. Plain Java
 * crosses the translator boundary; NDArrays stay inside it.
 */
record TensorBatch(float[] data, int count, int height, int width) {
  TensorBatch {
    if (count < 1 || data.length < (long) count * 3 * height * width) {
      throw new IllegalArgumentException("batch of " + count + " needs " + (3L * count * height * width)
          + " floats, has " + data.length);
    }
  }
}
