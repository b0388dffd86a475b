package org.cityvision.models.candidate;

import java.util.Arrays;
import java.util.Locale;

/** How a candidate is trained from the live package. */
public enum CandidateMode {
  /** A new linear head on the live backbone's features of the replay set and the verdicts. */
  HEAD("head"),
  /** Head mode, then the last backbone blocks and the head are tuned on the verdict images. */
  FINE_TUNE("fine-tune");

  private final String wire;

  CandidateMode(String wire) {
    this.wire = wire;
  }

  /** The name used in requests and records: {@code head} or {@code fine-tune}. */
  public String wire() {
    return wire;
  }

  /** The mode named {@code name} ({@code head} or {@code fine-tune}). */
  public static CandidateMode parse(String name) {
    for (CandidateMode m : values()) {
      if (m.wire.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "mode must be one of "
            + Arrays.stream(values()).map(CandidateMode::wire).toList()
            + ", got '"
            + (name == null ? null : name.toLowerCase(Locale.ROOT))
            + "'");
  }
}
