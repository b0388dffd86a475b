package org.cityvision.core.quality;

import java.time.Instant;

/**
 * Consecutive frames of one camera that showed one fault.
 *
 * @param frames how many in a row (at least 1)
 * @param since when the first of them arrived
 */
public record FaultRun(int frames, Instant since) {
  public FaultRun {
    if (frames < 1 || since == null) {
      throw new IllegalArgumentException(
          "a fault run has at least one frame and a start, got " + frames + ", " + since);
    }
  }

  FaultRun next() {
    return new FaultRun(frames == Integer.MAX_VALUE ? frames : frames + 1, since);
  }
}
