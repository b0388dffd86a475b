package org.cityvision.models.candidate;

import java.io.IOException;
import org.cityvision.core.VisionException;

/**
 * One reviewer verdict for a model: the frame, its image and the label the reviewer gave (which may
 * be a label the model does not have yet).
 *
 * @param frameId the frame's id; the train/holdout split is derived from it
 * @param label the verdict's label
 * @param image reads the frame's encoded image when the trainer needs it (once per candidate)
 */
public record VerdictExample(String frameId, String label, FrameImage image) {
  /**
   * The encoded bytes of a verdict's frame, read on demand so that verdicts need not sit in memory.
   */
  @FunctionalInterface
  public interface FrameImage {
    byte[] read() throws IOException, VisionException;
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
  }

  /** A verdict whose image is already in memory. */
  public static VerdictExample of(String frameId, String label, byte[] bytes) {
    byte[] copy = bytes.clone();
    return new VerdictExample(frameId, label, () -> copy);
  }
}
