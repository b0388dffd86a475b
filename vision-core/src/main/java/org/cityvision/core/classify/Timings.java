package org.cityvision.core.classify;

/**
 * Where one image's time went, in nanoseconds. {@code inference} is the batch's forward time
 * divided by the batch size, so that per-image figures add up across a batch.
 */
public record Timings(
    long decodeNanos, long preprocessNanos, long queueNanos, long inferenceNanos) {
  public static final Timings NONE = new Timings(0, 0, 0, 0);

  public Timings {
    if (decodeNanos < 0 || preprocessNanos < 0 || queueNanos < 0 || inferenceNanos < 0) {
      throw new IllegalArgumentException("timings must not be negative");
    }
  }

  public Timings withInput(long decode, long preprocess) {
    return new Timings(decode, preprocess, queueNanos, inferenceNanos);
  }
}
