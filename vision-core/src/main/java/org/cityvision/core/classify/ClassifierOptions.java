package org.cityvision.core.classify;

import java.time.Duration;
import org.cityvision.core.image.ImageLimits;

/**
 * How a {@link Classifier} runs.
 *
 * @param workers inference threads, each with its own predictor
 * @param torchThreads libtorch intra-op threads (process-wide); workers × torchThreads should not
 *     exceed the cores
 * @param maxBatch the most images in one forward pass
 * @param maxDelay how long a worker holding one image waits for more to fill a batch
 * @param queueCapacity images waiting beyond which requests are refused with {@link
 *     OverCapacityException}
 * @param topK labels in {@link Classification#top()}
 * @param warmup run every batch size once per worker before accepting work
 * @param limits limits on the encoded images {@link Classifier#classify(byte[])} accepts
 * @param soloThreads intra-op threads of the solo worker, which runs a request alone when it is the
 *     only one anywhere in the process (every other forward pass waits meanwhile); 0: no solo
 *     worker
 * @param features whether each classification carries the backbone's pooled features of its forward
 *     pass, to be kept with its result (config {@code features.keep})
 */
public record ClassifierOptions(
    int workers,
    int torchThreads,
    int maxBatch,
    Duration maxDelay,
    int queueCapacity,
    int topK,
    boolean warmup,
    ImageLimits limits,
    int soloThreads,
    boolean features) {

  /** Options with pooled features kept. */
  public ClassifierOptions(
      int workers,
      int torchThreads,
      int maxBatch,
      Duration maxDelay,
      int queueCapacity,
      int topK,
      boolean warmup,
      ImageLimits limits,
      int soloThreads) {
    this(
        workers,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        topK,
        warmup,
        limits,
        soloThreads,
        true);
  }

  /** Options without a solo worker. */
  public ClassifierOptions(
      int workers,
      int torchThreads,
      int maxBatch,
      Duration maxDelay,
      int queueCapacity,
      int topK,
      boolean warmup,
      ImageLimits limits) {
    this(workers, torchThreads, maxBatch, maxDelay, queueCapacity, topK, warmup, limits, 0);
  }

  /**
   * Measured on 2 cores (docs/BENCHMARKS.md): two workers with one torch thread each give the best
   * throughput; batches of up to 8 with a 2 ms wait.
   */
  public static ClassifierOptions defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new ClassifierOptions(
        Math.max(1, Math.min(cores, 4)),
        1,
        8,
        Duration.ofMillis(2),
        64,
        5,
        true,
        ImageLimits.DEFAULT);
  }

  public ClassifierOptions {
    if (workers < 1 || workers > 64) {
      throw new IllegalArgumentException("workers must be 1..64, got " + workers);
    }
    if (torchThreads < 0 || torchThreads > 256) {
      throw new IllegalArgumentException(
          "torchThreads must be 0..256 (0 = libtorch default), got " + torchThreads);
    }
    if (maxBatch < 1 || maxBatch > 256) {
      throw new IllegalArgumentException("maxBatch must be 1..256, got " + maxBatch);
    }
    if (maxDelay == null || maxDelay.isNegative() || maxDelay.toMillis() > 1000) {
      throw new IllegalArgumentException("maxDelay must be 0..1000 ms, got " + maxDelay);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be positive, got " + queueCapacity);
    }
    if (topK < 1) {
      throw new IllegalArgumentException("topK must be positive, got " + topK);
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits are required");
    }
    if (soloThreads < 0 || soloThreads > 256) {
      throw new IllegalArgumentException(
          "soloThreads must be 0..256 (0 = no solo worker), got " + soloThreads);
    }
    if (soloThreads > 0 && torchThreads == 0) {
      throw new IllegalArgumentException(
          "a solo worker needs an explicit torchThreads for the other workers");
    }
  }

  public ClassifierOptions withSoloThreads(int n) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        topK,
        warmup,
        limits,
        n,
        features);
  }

  public ClassifierOptions withWorkers(int n) {
    return new ClassifierOptions(
        n,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        topK,
        warmup,
        limits,
        soloThreads,
        features);
  }

  public ClassifierOptions withTorchThreads(int n) {
    return new ClassifierOptions(
        workers, n, maxBatch, maxDelay, queueCapacity, topK, warmup, limits, soloThreads, features);
  }

  public ClassifierOptions withBatching(int newMaxBatch, Duration newMaxDelay) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        newMaxBatch,
        newMaxDelay,
        queueCapacity,
        topK,
        warmup,
        limits,
        soloThreads,
        features);
  }

  public ClassifierOptions withQueueCapacity(int n) {
    return new ClassifierOptions(
        workers, torchThreads, maxBatch, maxDelay, n, topK, warmup, limits, soloThreads, features);
  }

  public ClassifierOptions withTopK(int k) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        k,
        warmup,
        limits,
        soloThreads,
        features);
  }

  public ClassifierOptions withWarmup(boolean on) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        topK,
        on,
        limits,
        soloThreads,
        features);
  }

  public ClassifierOptions withLimits(ImageLimits newLimits) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        topK,
        warmup,
        newLimits,
        soloThreads,
        features);
  }

  /** Whether classifications carry the backbone's pooled features ({@link Classifier}). */
  public ClassifierOptions withFeatures(boolean on) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        maxBatch,
        maxDelay,
        queueCapacity,
        topK,
        warmup,
        limits,
        soloThreads,
        on);
  }
}
