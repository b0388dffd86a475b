package org.cityvision.core.storage;

/** A reviewer's judgement of a flag. */
public enum Verdict {
  CONFIRM(FlagStatus.CONFIRMED),
  REJECT(FlagStatus.REJECTED),
  RELABEL(FlagStatus.RELABELLED);

  private final FlagStatus status;

  Verdict(FlagStatus status) {
    this.status = status;
  }

  /** The status a flag moves to with this verdict. */
  public FlagStatus status() {
    return status;
  }
}
