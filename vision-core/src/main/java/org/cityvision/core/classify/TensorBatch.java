package org.cityvision.core.classify;

import java.util.List;

/**
 * Input of one forward pass: the CHW tensors of {@code images.size()} images of {@code height} ×
 * {@code width}, in order. Plain Java crosses the translator boundary; NDArrays stay inside it.
 */
record TensorBatch(List<float[]> images, int height, int width) {
  TensorBatch {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one image");
    }
    long size = 3L * height * width;
    for (float[] image : images) {
      if (image.length != size) {
        throw new IllegalArgumentException(
            "an image of the batch has "
                + image.length
                + " floats; "
                + height
                + "x"
                + width
                + " needs "
                + size);
      }
    }
  }

  int count() {
    return images.size();
  }

  /** Floats of the whole batch. */
  long floats() {
    return (long) count() * 3 * height * width;
  }
}
