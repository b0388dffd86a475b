package org.cityvision.core.quality;

import java.time.Instant;

/**
 * The last frame of a camera that was classified without any quality fault: later frames that show
 * nothing new may reuse its result.
 *
 * <p>Immutable and thread-safe.
 *
 * @param frameId the classified frame, whose stored result is reused
 * @param classifiedAt when it was classified (the node's clock)
 * @param signature its scene signature
 */
public record StaticReference(String frameId, Instant classifiedAt, SceneSignature signature) {
  public StaticReference {
    if (frameId == null || frameId.isBlank()) {
      throw new IllegalArgumentException("frameId is required");
    }
    if (classifiedAt == null || signature == null) {
      throw new IllegalArgumentException("classifiedAt and signature are required");
    }
  }
}
