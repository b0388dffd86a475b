package org.cityvision.datasets.augment;

import org.opencv.core.Mat;

/** Pixel access for the augmentation tests. */
final class TestMats {
  private TestMats() {}

  /** Every byte of {@code m}, row by row (a submatrix is copied out first). */
  static byte[] bytes(Mat m) {
    Mat dense = m.isContinuous() ? m : m.clone();
    byte[] b = new byte[(int) (dense.total() * dense.channels())];
    dense.get(0, 0, b);
    return b;
  }
}
