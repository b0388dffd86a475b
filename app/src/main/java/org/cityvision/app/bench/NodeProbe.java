package org.cityvision.app.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.cityvision.core.classify.ClassifierStats;

/**
 * Samples a node in this JVM at a fixed interval while a load runs: how long its forward passes
 * took per image and how long the JIT compiled. A slow patch in a latency window has one of two
 * causes on two cores: the JIT took a core from the inference workers (compilation time in that
 * interval), or the same forward passes simply ran slower (the host's cores slowed under us; no
 * compilation). The probe says which, per window, instead of a hand-made trace. Owns one daemon
 * thread; whoever starts a probe must {@link #stop()} it, which returns the summary.
 */
final class NodeProbe {
  /** One reading: the classifier's images and forward-pass time so far, compilation ms so far. */
  record Sample(long images, long inferenceNanos, long jitMillis) {}

  /**
   * What a window looked like.
   *
   * @param forwardMsPerImage the window's mean forward-pass wall time per image
   * @param slowestForwardMsPerImage the slowest interval's mean (intervals with at least the
   *     minimum images)
   * @param slowestJitMs compilation time in that slowest interval
   * @param jitMs compilation time over the whole window
   * @param mostJitMs the most compilation time in one interval
   */
  record Summary(
      double forwardMsPerImage,
      double slowestForwardMsPerImage,
      long slowestJitMs,
      long jitMs,
      long mostJitMs) {}

  private final Supplier<ClassifierStats> stats;
  private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
  private final long intervalMs;
  private final List<Sample> samples = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  private NodeProbe(Supplier<ClassifierStats> stats, long intervalMs) {
    this.stats = stats;
    this.intervalMs = intervalMs;
    sample();
    thread = new Thread(this::loop, "bench-node-probe");
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts sampling {@code stats} (a classifier's) every {@code intervalMs}. */
  static NodeProbe start(Supplier<ClassifierStats> stats, long intervalMs) {
    if (intervalMs < 10) {
      throw new IllegalArgumentException("intervalMs must be at least 10, got " + intervalMs);
    }
    return new NodeProbe(stats, intervalMs);
  }

  private void loop() {
    long next = System.nanoTime();
    while (running) {
      next += intervalMs * 1_000_000L;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
        } catch (InterruptedException e) {
          return;
        }
      }
      if (running) {
        sample();
      }
    }
  }

  private void sample() {
    ClassifierStats s = stats.get();
    long jitMs = jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    synchronized (samples) {
      samples.add(new Sample(s.images(), s.inferenceNanos(), jitMs));
    }
  }

  /**
   * Stops sampling; the summary of everything since the start, with intervals of at least 5 images.
   */
  Summary stop() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sample();
    synchronized (samples) {
      return summarize(samples, 5);
    }
  }

  /**
   * The summary of consecutive samples. Intervals in which fewer than {@code minImages} images were
   * classified do not compete for the slowest (a mean over two images says little).
   */
  static Summary summarize(List<Sample> samples, int minImages) {
    if (samples.size() < 2) {
      throw new IllegalArgumentException("need at least two samples, got " + samples.size());
    }
    Sample first = samples.get(0);
    Sample last = samples.get(samples.size() - 1);
    long images = last.images() - first.images();
    double mean =
        images > 0 ? (last.inferenceNanos() - first.inferenceNanos()) / 1e6 / images : Double.NaN;
    double slowest = Double.NaN;
    long slowestJit = 0;
    long mostJit = 0;
    for (int i = 1; i < samples.size(); i++) {
      Sample a = samples.get(i - 1);
      Sample b = samples.get(i);
      long jitMs = b.jitMillis() - a.jitMillis();
      mostJit = Math.max(mostJit, jitMs);
      long n = b.images() - a.images();
      if (n >= minImages) {
        double ms = (b.inferenceNanos() - a.inferenceNanos()) / 1e6 / n;
        if (Double.isNaN(slowest) || ms > slowest) {
          slowest = ms;
          slowestJit = jitMs;
        }
      }
    }
    return new Summary(mean, slowest, slowestJit, last.jitMillis() - first.jitMillis(), mostJit);
  }
}
