package org.cityvision.core.frame;

import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.naming.Names;

/**
 * What the store knows about one frame, kept in the frame object's metadata.
 *
 * @param frameId see {@link FrameId}
 * @param key the frame object's key
 * @param thumbnailKey the thumbnail's key, or {@code null} when the frame has none
 * @param sizeBytes the size of the frame as received (also when its image was not kept)
 * @param sha256 lower-case hex SHA-256 of the frame bytes as received
 * @param durability {@link Durability#SPOOLED} while the frame is only in the local spool
 * @param imageOf {@code null} when the image is stored; else the frame whose image and result stand
 *     for this one (a static frame kept as its record only, see {@code FrameStore.putFrameRecord})
 */
public record FrameRecord(
    String frameId,
    String cameraId,
    Instant capturedAt,
    Instant receivedAt,
    String contentType,
    long sizeBytes,
    String sha256,
    String key,
    String thumbnailKey,
    Durability durability,
    String imageOf) {
  public FrameRecord {
    FrameId.parse(frameId);
    Names.requireSegment("cameraId", cameraId);
    Objects.requireNonNull(capturedAt, "capturedAt");
    Objects.requireNonNull(receivedAt, "receivedAt");
    extension(contentType);
    if (sizeBytes <= 0) {
      throw new IllegalArgumentException("sizeBytes must be positive, got " + sizeBytes);
    }
    if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits, got " + sha256);
    }
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(durability, "durability");
    if (imageOf != null) {
      FrameId.parse(imageOf);
    }
  }

  /** A frame stored with its image. */
  public FrameRecord(
      String frameId,
      String cameraId,
      Instant capturedAt,
      Instant receivedAt,
      String contentType,
      long sizeBytes,
      String sha256,
      String key,
      String thumbnailKey,
      Durability durability) {
    this(
        frameId,
        cameraId,
        capturedAt,
        receivedAt,
        contentType,
        sizeBytes,
        sha256,
        key,
        thumbnailKey,
        durability,
        null);
  }

  /** Whether the frame's image is stored ({@code false}: see {@link #imageOf}). */
  public boolean imageKept() {
    return imageOf == null;
  }

  /** The key extension for a frame content type; the two types the API accepts. */
  public static String extension(String contentType) {
    if ("image/jpeg".equals(contentType)) {
      return ".jpg";
    }
    if ("image/png".equals(contentType)) {
      return ".png";
    }
    throw new IllegalArgumentException(
        "contentType must be image/jpeg or image/png, got " + contentType);
  }

  public FrameRecord withDurability(Durability value) {
    return new FrameRecord(
        frameId,
        cameraId,
        capturedAt,
        receivedAt,
        contentType,
        sizeBytes,
        sha256,
        key,
        thumbnailKey,
        value,
        imageOf);
  }
}
