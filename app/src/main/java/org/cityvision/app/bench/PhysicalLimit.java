package org.cityvision.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.cityvision.core.model.TorchRuntime;

/**
 * The machine's float32 compute peak as libtorch reaches it (a 2048x2048 matmul), which divided by
 * a model's FLOPs per image gives the most images per second any pipeline could classify.
 */
final class PhysicalLimit {
  private PhysicalLimit() {}

  /**
   * GFLOP/s of repeated 2048x2048 matmuls with {@code threads} intra-op threads, for at least
   * {@code seconds} (and 3 runs). It runs on a thread of its own that ends with the measurement, so
   * its OpenMP helper threads end too: left behind, they would count against the cores and make
   * libgomp put every team's idle helpers to sleep after each parallel region, slowing the solo
   * worker's passes (see {@code SoloThread}). Measure before a classifier with a solo worker opens:
   * while its helper exists, this one's are put to sleep too.
   */
  static double matmulGflops(int threads, double seconds) {
    TorchRuntime.engine();
    double[] result = new double[1];
    RuntimeException[] failure = new RuntimeException[1];
    Thread t =
        new Thread(
            () -> {
              try {
                result[0] = measure(threads, seconds);
              } catch (RuntimeException e) {
                failure[0] = e;
              }
            },
            "matmul-peak");
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring the matmul peak", e);
    }
    if (failure[0] != null) {
      throw failure[0];
    }
    return result[0];
  }

  private static double measure(int threads, double seconds) {
    TorchRuntime.inferenceThread(threads);
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
