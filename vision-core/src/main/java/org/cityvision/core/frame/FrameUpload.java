package org.cityvision.core.frame;

import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.naming.Names;

/**
 * A frame to store, as received from a camera.
 *
 * @param cameraId the camera, {@code [A-Za-z0-9_-]{1,64}}
 * @param capturedAt when the camera took it; {@code null} means "when received"
 * @param contentType {@code image/jpeg} or {@code image/png}
 * @param bytes the image as received, not re-encoded; not copied, so do not change it afterwards
 * @param thumbnail a small JPEG made by the caller, or {@code null} for none
 * @param frameId the id to store it under, chosen before any write so that a retry of an
 *     interrupted request writes the same objects again instead of a second frame; {@code null} for
 *     a new id
 */
public record FrameUpload(
    String cameraId,
    Instant capturedAt,
    String contentType,
    byte[] bytes,
    byte[] thumbnail,
    FrameId frameId) {
  public FrameUpload {
    Names.requireSegment("cameraId", cameraId);
    FrameRecord.extension(contentType);
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new IllegalArgumentException("frame bytes must not be empty");
    }
    if (thumbnail != null && thumbnail.length == 0) {
      throw new IllegalArgumentException("thumbnail must be null or non-empty");
    }
    if (frameId != null && !frameId.cameraId().equals(cameraId)) {
      throw new IllegalArgumentException("frame id " + frameId + " is not of camera " + cameraId);
    }
  }

  /** A frame to store under a new id. */
  public FrameUpload(
      String cameraId, Instant capturedAt, String contentType, byte[] bytes, byte[] thumbnail) {
    this(cameraId, capturedAt, contentType, bytes, thumbnail, null);
  }
}
