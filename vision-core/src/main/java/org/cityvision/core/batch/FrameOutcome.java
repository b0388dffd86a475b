package org.cityvision.core.batch;

import java.util.Objects;
import org.cityvision.core.classify.LabelScore;

/**
 * The outcome of one frame.
 *
 * @param failure why it failed, only for {@link Outcome#FAILED}
 * @param flagged the flag created, only for {@link Outcome#CLASSIFIED} with flagging on, else
 *     {@code null}
 */
public record FrameOutcome(
    String frameId, Outcome outcome, FrameFailure failure, LabelScore flagged) {
  public FrameOutcome {
    Objects.requireNonNull(frameId, "frameId");
    Objects.requireNonNull(outcome, "outcome");
    if ((outcome == Outcome.FAILED) != (failure != null)) {
      throw new IllegalArgumentException("a failure is given exactly for FAILED outcomes");
    }
    if (flagged != null && outcome != Outcome.CLASSIFIED) {
      throw new IllegalArgumentException("only a classified frame can be flagged");
    }
  }

  public static FrameOutcome classified(String frameId, LabelScore flagged) {
    return new FrameOutcome(frameId, Outcome.CLASSIFIED, null, flagged);
  }

  public static FrameOutcome skipped(String frameId) {
    return new FrameOutcome(frameId, Outcome.SKIPPED, null, null);
  }

  public static FrameOutcome failed(String frameId, FailureKind kind, String reason) {
    return new FrameOutcome(frameId, Outcome.FAILED, new FrameFailure(frameId, kind, reason), null);
  }
}
