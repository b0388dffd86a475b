package org.cityvision.core.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.LoggerFactory;

/**
 * Starts the PyTorch engine offline and sets its thread counts. Whoever starts the engine first
 * decides its thread pools, so every entry point calls {@link #start(int)} before touching DJL.
 *
 * <p>Thread-safe. Gradient tracking is per thread in libtorch: every thread that runs inference
 * calls {@link #inferenceThread()} first.
 */
public final class TorchRuntime {
  private static volatile Engine engine;

  private TorchRuntime() {}

  /**
   * Starts the engine (once) with {@code threads} intra-op threads and one inter-op thread. With
   * several inference workers, one torch thread each avoids oversubscribing OpenMP on small
   * machines.
   *
   * @param threads intra-op threads; 0 keeps libtorch's default (one per core)
   */
  public static Engine start(int threads) {
    if (engine == null) {
      synchronized (TorchRuntime.class) {
        if (engine == null) {
          // Telemetry would try the network on engine start; these must be set before it starts.
          if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
          }
          if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
          }
          if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
          }
          // Which kernels run matters for correctness on some CPUs: say it once, where operators
          // look.
          String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
          LoggerFactory.getLogger(TorchRuntime.class)
              .info(
                  "libtorch kernels: {}{}",
                  isa == null || isa.isBlank()
                      ? "native (oneDNN unrestricted)"
                      : "oneDNN capped at " + isa,
                  System.getenv().containsKey("CITYVISION_KERNELS_CHOICE")
                      ? "; " + System.getenv("CITYVISION_KERNELS_CHOICE")
                      : "");
          engine = Engine.getEngine("PyTorch");
        }
      }
    }
    if (threads > 0 && JniUtils.getNumThreads() != threads) {
      JniUtils.setNumThreads(threads);
    }
    return engine;
  }

  /** The engine, started with libtorch's default thread count if nobody started it yet. */
  public static Engine engine() {
    return start(0);
  }

  /** Prepares the calling thread for inference: no gradient tracking. */
  public static void inferenceThread() {
    engine();
    JniUtils.setGradMode(false);
  }

  /**
   * Prepares the calling thread for inference with its own intra-op thread count. libtorch's OpenMP
   * backend keeps the count per OS thread (OpenMP's {@code nthreads-var} is per thread; each thread
   * that opens a parallel region gets its own team), but a thread takes the process-wide value the
   * first time it asks: so the thread asks first, then sets its own. Setting it also changes the
   * process-wide value, which the caller restores with {@link #defaultThreads(int)}.
   *
   * @param threads intra-op threads for forward passes run on this thread
   */
  public static void inferenceThread(int threads) {
    inferenceThread();
    JniUtils.getNumThreads();
    JniUtils.setNumThreads(threads);
  }

  /**
   * Sets the process-wide intra-op thread count that threads not yet running libtorch will take
   * (and the calling thread's own).
   */
  public static void defaultThreads(int threads) {
    engine();
    JniUtils.getNumThreads();
    JniUtils.setNumThreads(threads);
  }
}
