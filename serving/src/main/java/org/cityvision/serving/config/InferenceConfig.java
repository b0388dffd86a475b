package org.cityvision.serving.config;

import java.time.Duration;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.image.ImageLimits;

/**
 * How models run. The defaults are the measured best on the 2-core reference machine
 * (docs/BENCHMARKS.md, "Two inference workers with one torch thread each" and "Single-image forward
 * passes"): two inference workers with one torch thread each, one image per forward pass. Dynamic
 * batching ({@code maxBatch} above 1) gave no measurable throughput gain on libtorch's AVX2 CPU
 * kernels (each image already runs at the matmul peak) and made tails worse: a batch answers all
 * its images only at its end, so p99 ÷ p50 at 80% of the peak rate was 3.9-6.3 with batches of 8
 * against 2.5-2.75 with single images. Raise it for engines or models that gain from batches.
 *
 * @param workers inference threads per model
 * @param torchThreads libtorch intra-op threads (process-wide); workers × torchThreads should not
 *     exceed the cores, or libtorch's OpenMP threads degrade
 * @param maxBatch most images per forward pass
 * @param maxDelayMs how long a worker waits to fill a batch
 * @param queueCapacity tensors waiting for a worker per model; beyond it, 503 at once
 * @param maxInFlight requests per model admitted at once (decoding, queued or running); beyond it,
 *     503 before any decoding; 0 means queueCapacity + 2 × decodeThreads
 * @param decodeThreads threads decoding and preprocessing images (the CPU-bound part outside torch)
 * @param topK labels in each answer's {@code top}
 * @param warmup run every batch size once per worker before serving
 * @param soloThreads intra-op threads of each model's solo worker, which runs a request that is
 *     alone in the process (no other forward pass running, none queued) on that many cores while
 *     every other pass waits; 0 turns it off. Default: the cores, when there are at least two
 */
public record InferenceConfig(
    int workers,
    int torchThreads,
    int maxBatch,
    int maxDelayMs,
    int queueCapacity,
    int maxInFlight,
    int decodeThreads,
    int topK,
    boolean warmup,
    int soloThreads) {
  public InferenceConfig {
    Bounds.require("inference.workers", workers, 1, 64);
    Bounds.require("inference.torchThreads", torchThreads, 0, 256);
    Bounds.require("inference.maxBatch", maxBatch, 1, 256);
    Bounds.require("inference.maxDelayMs", maxDelayMs, 0, 1000);
    Bounds.require("inference.queueCapacity", queueCapacity, 1, 100_000);
    Bounds.require("inference.maxInFlight", maxInFlight, 0, 100_000);
    Bounds.require("inference.decodeThreads", decodeThreads, 1, 256);
    Bounds.require("inference.topK", topK, 1, 100);
    Bounds.require("inference.soloThreads", soloThreads, 0, 256);
    if (soloThreads > 0 && torchThreads == 0) {
      throw new IllegalArgumentException(
          "inference.soloThreads needs inference.torchThreads > 0 (the other "
              + "workers' own count), got torchThreads 0 and soloThreads "
              + soloThreads);
    }
  }

  /** Settings without a solo worker. */
  public InferenceConfig(
      int workers,
      int torchThreads,
      int maxBatch,
      int maxDelayMs,
      int queueCapacity,
      int maxInFlight,
      int decodeThreads,
      int topK,
      boolean warmup) {
    this(
        workers,
        torchThreads,
        maxBatch,
        maxDelayMs,
        queueCapacity,
        maxInFlight,
        decodeThreads,
        topK,
        warmup,
        0);
  }

  static InferenceConfig defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new InferenceConfig(
        Math.max(1, Math.min(cores, 4)),
        1,
        1,
        2,
        64,
        0,
        Math.max(2, cores),
        3,
        true,
        cores >= 2 ? cores : 0);
  }

  /** These settings with {@code soloThreads} set to {@code n}. */
  public InferenceConfig withSoloThreads(int n) {
    return new InferenceConfig(
        workers,
        torchThreads,
        maxBatch,
        maxDelayMs,
        queueCapacity,
        maxInFlight,
        decodeThreads,
        topK,
        warmup,
        n);
  }

  /** Requests admitted per model at once. */
  public int admitted() {
    return maxInFlight > 0 ? maxInFlight : queueCapacity + 2 * decodeThreads;
  }

  public ClassifierOptions classifierOptions(ImageLimits limits) {
    return new ClassifierOptions(
        workers,
        torchThreads,
        maxBatch,
        Duration.ofMillis(maxDelayMs),
        queueCapacity,
        topK,
        warmup,
        limits,
        soloThreads);
  }
}
