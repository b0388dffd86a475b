package org.cityvision.core.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * An API key as stored: never the key itself, only its SHA-256.
 *
 * @param keyHash lower-case hex SHA-256 of the key the client presents
 */
public record ApiKeyRecord(String name, KeyRole role, String keyHash, Instant createdAt) {
  public ApiKeyRecord {
    StorageKeys.requireSegment("name", name);
    Objects.requireNonNull(role, "role");
    if (keyHash == null || !keyHash.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("keyHash must be 64 lower-case hex digits (SHA-256)");
    }
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
