package org.cityvision.serving.config;

import org.cityvision.serving.capture.CapturePolicy;

/**
 * What {@code POST /v1/classify/{task}} keeps for review (see {@link CapturePolicy}).
 *
 * @param waste the waste task's policy, default {@code uncertain}
 * @param urban the urban task's policy, default {@code never}
 * @param marginBelow {@code uncertain} also keeps answers whose top-2 margin is below this, 0..1
 * @param queue captured images waiting to be written, at most; a capture beyond it is dropped and
 *     counted, never delaying an answer
 */
public record CaptureConfig(String waste, String urban, double marginBelow, int queue) {
  public CaptureConfig {
    CapturePolicy.parse("capture.waste", waste);
    CapturePolicy.parse("capture.urban", urban);
    if (!(marginBelow >= 0 && marginBelow <= 1)) {
      throw new IllegalArgumentException("capture.marginBelow must be in 0..1, got " + marginBelow);
    }
    Bounds.require("capture.queue", queue, 1, 10_000);
  }

  public static CaptureConfig defaults() {
    return new CaptureConfig("uncertain", "never", 0.15, 256);
  }

  /** The policy of {@code task}; {@code never} for a task without one. */
  public CapturePolicy policy(String task) {
    return switch (task) {
      case "waste" -> CapturePolicy.parse("capture.waste", waste);
      case "urban" -> CapturePolicy.parse("capture.urban", urban);
      default -> CapturePolicy.NEVER;
    };
  }
}
