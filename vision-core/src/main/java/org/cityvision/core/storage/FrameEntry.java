package org.cityvision.core.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * One frame in a listing: what the listing itself returns, no extra request per frame.
 *
 * @param lastModified when the object was written to MinIO
 */
public record FrameEntry(String frameId, String key, long sizeBytes, Instant lastModified) {
  public FrameEntry {
    Objects.requireNonNull(frameId, "frameId");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(lastModified, "lastModified");
  }
}
