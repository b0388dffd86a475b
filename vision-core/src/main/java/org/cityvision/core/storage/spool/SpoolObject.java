package org.cityvision.core.storage.spool;

import java.util.Map;
import java.util.Objects;

/**
 * One object write waiting in the spool.
 *
 * @param metadata user metadata, including the {@code sha256} of {@code content}
 * @param content not copied; the spool only reads it
 * @param createOnly write with {@code If-None-Match: *}; "already exists" counts as delivered
 */
public record SpoolObject(
    String key,
    String contentType,
    Map<String, String> metadata,
    byte[] content,
    boolean createOnly) {
  public SpoolObject {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(contentType, "contentType");
    metadata = Map.copyOf(metadata);
    Objects.requireNonNull(content, "content");
  }
}
