package org.cityvision.core.review;

/**
 * A reviewer's judgement of a flag, as the reviews log records it. {@link #REOPEN} is no judgement:
 * it takes the flag's latest verdict back (an undo) and returns the flag to the open queue, so
 * whoever reads the log for a frame's latest state (export, candidate training) sees it open again.
 */
public enum Verdict {
  CONFIRM(FlagStatus.CONFIRMED),
  REJECT(FlagStatus.REJECTED),
  RELABEL(FlagStatus.RELABELLED),
  REOPEN(FlagStatus.OPEN);

  private final FlagStatus status;

  Verdict(FlagStatus status) {
    this.status = status;
  }

  /** The status a flag moves to with this verdict. */
  public FlagStatus status() {
    return status;
  }
}
