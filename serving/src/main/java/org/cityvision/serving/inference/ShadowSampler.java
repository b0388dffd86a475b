package org.cityvision.serving.inference;

/**
 * Hears of live answers after they are sent, so that a candidate in the shadow of the live model
 * can classify a sample of them. Implementations return at once (a random draw and a bounded queue
 * offer at most): they are called on the request path, after the answer.
 */
@FunctionalInterface
public interface ShadowSampler {
  /** No shadow runs. */
  ShadowSampler NONE = (answered, image, frameId) -> {};

  /**
   * @param answered the live answer that was sent
   * @param image the encoded image it answered
   * @param frameId the frame stored for it, or {@code null} when none was
   */
  void answered(Inference answered, byte[] image, String frameId);
}
