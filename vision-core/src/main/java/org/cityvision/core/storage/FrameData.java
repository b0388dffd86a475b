package org.cityvision.core.storage;

import java.util.Objects;
import org.cityvision.core.frame.FrameRecord;

/**
 * A frame with its bytes, checked against the stored SHA-256.
 *
 * @param bytes not copied; owned by the caller
 */
public record FrameData(FrameRecord record, byte[] bytes) {
  public FrameData {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(bytes, "bytes");
  }
}
