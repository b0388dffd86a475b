package org.cityvision.core.batch;

import java.util.Objects;

/**
 * One frame that failed, with the reason shown to operators.
 *
 * @param reason the exception's message, at most 300 characters
 */
public record FrameFailure(String frameId, FailureKind kind, String reason) {
  static final int MAX_REASON = 300;

  public FrameFailure {
    Objects.requireNonNull(frameId, "frameId");
    Objects.requireNonNull(kind, "kind");
    reason = reason == null ? kind.name() : reason;
    if (reason.length() > MAX_REASON) {
      reason = reason.substring(0, MAX_REASON - 3) + "...";
    }
  }
}
