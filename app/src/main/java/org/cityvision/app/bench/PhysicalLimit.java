package org.cityvision.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.cityvision.core.model.TorchRuntime;

/**
 * The machine's float32 compute peak as libtorch reaches it (a 2048x2048 matmul), which divided by
 * a model's FLOPs per image gives the most images per second any pipeline could classify.
 */
final class PhysicalLimit {
  private PhysicalLimit() {}

  /**
   * GFLOP/s of repeated 2048x2048 matmuls with {@code threads} intra-op threads, for at least
   * {@code seconds} (and 3 runs). Leaves libtorch's thread count at {@code threads}.
   */
  static double matmulGflops(int threads, double seconds) {
    TorchRuntime.engine();
    JniUtils.setNumThreads(threads);
    int n = 2048;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.randomUniform(-1, 1, new Shape(n, n));
      NDArray b = manager.randomUniform(-1, 1, new Shape(n, n));
      a.matMul(b).close();
      int runs = 0;
      long start = System.nanoTime();
      long deadline = start + (long) (Math.max(1.0, seconds) * 1e9);
      while (System.nanoTime() < deadline || runs < 3) {
        a.matMul(b).close();
        runs++;
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      return 2.0 * n * n * n * runs / elapsed / 1e9;
    }
  }
}
