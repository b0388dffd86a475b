package org.cityvision.core.review;

import java.util.Locale;

/** Where a flag is in the review queue. */
public enum FlagStatus {
  OPEN,
  CONFIRMED,
  REJECTED,
  RELABELLED;

  /** The lower-case name used in keys and in the HTTP API. */
  public String keyName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static FlagStatus fromKeyName(String value) {
    for (FlagStatus s : values()) {
      if (s.keyName().equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "status must be one of open, confirmed, rejected, relabelled, got " + value);
  }
}
