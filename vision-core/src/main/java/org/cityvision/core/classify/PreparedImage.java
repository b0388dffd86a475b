package org.cityvision.core.classify;

import java.util.Objects;
import org.cityvision.core.image.ImageHeader;

/**
 * One image's work before inference, from one decode: the model's tensor and, when asked for, a
 * JPEG thumbnail.
 *
 * <p>The tensor comes from {@link Classifier#newTensor()}: hand it to {@link
 * Classifier#submitAndRecycle} once, and touch it no more. Not thread-safe (the array is shared
 * with its owner), so one owner at a time.
 *
 * @param header what the image's header says (format, stored size)
 * @param thumbnail a JPEG thumbnail, or {@code null} when none was asked for
 * @param decodeNanos header check and decode
 * @param preprocessNanos resize and normalisation into the tensor, and the thumbnail
 */
public record PreparedImage(
    float[] tensor, ImageHeader header, byte[] thumbnail, long decodeNanos, long preprocessNanos) {
  public PreparedImage {
    Objects.requireNonNull(tensor, "tensor");
    Objects.requireNonNull(header, "header");
    if (decodeNanos < 0 || preprocessNanos < 0) {
      throw new IllegalArgumentException("timings must not be negative");
    }
  }

  /** Decode and preprocessing together. */
  public long nanos() {
    return decodeNanos + preprocessNanos;
  }
}
