package org.cityvision.models.candidate;

import java.io.IOException;
import java.util.Optional;
import org.cityvision.core.VisionException;
import org.cityvision.core.model.PooledFeatures;

/**
 * One reviewer verdict for a model: the frame, its image and the label the reviewer gave (which may
 * be a label the model does not have yet).
 *
 * @param frameId the frame's id; the train/holdout split is derived from it
 * @param label the verdict's label
 * @param image reads the frame's encoded image when the trainer needs it (once per candidate)
 * @param features reads the pooled features kept when the frame was classified, if any; a head
 *     candidate uses them instead of the image when they come from the live backbone
 */
public record VerdictExample(
    String frameId, String label, FrameImage image, StoredFeatures features) {
  /**
   * The encoded bytes of a verdict's frame, read on demand so that verdicts need not sit in memory.
   */
  @FunctionalInterface
  public interface FrameImage {
    byte[] read() throws IOException, VisionException;
  }

  /** The pooled features kept with a verdict's frame when it was classified, read on demand. */
  @FunctionalInterface
  public interface StoredFeatures {
    /** No features kept. */
    StoredFeatures NONE = Optional::empty;

    Optional<PooledFeatures> read() throws IOException, VisionException;
  }

  /** A verdict with no stored features: the trainer computes them from the image. */
  public VerdictExample(String frameId, String label, FrameImage image) {
    this(frameId, label, image, StoredFeatures.NONE);
  }

  public VerdictExample {
    if (frameId == null || frameId.isBlank()) {
      throw new IllegalArgumentException("frameId is required");
    }
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("label is required (frame " + frameId + ")");
    }
    if (image == null) {
      throw new IllegalArgumentException("image is required (frame " + frameId + ")");
    }
    if (features == null) {
      throw new IllegalArgumentException(
          "features is required (StoredFeatures.NONE for none; frame " + frameId + ")");
    }
  }

  /** A verdict whose image is already in memory. */
  public static VerdictExample of(String frameId, String label, byte[] bytes) {
    byte[] copy = bytes.clone();
    return new VerdictExample(frameId, label, () -> copy);
  }
}
