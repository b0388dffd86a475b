package org.cityvision.serving.config;

import org.cityvision.core.model.Task;
import org.cityvision.serving.capture.CapturePolicy;

/**
 * What {@code POST /v1/classify/{task}} keeps for review (see {@link CapturePolicy}).
 *
 * @param waste the waste task's policy, default {@code uncertain}
 * @param urban the urban task's policy, default {@code never}
 * @param marginBelow {@code uncertain} also keeps answers whose top-2 margin is below this, 0..1
 * @param queue captured images waiting to be written, at most; a capture beyond it is dropped and
 *     counted, never delaying an answer
 * @param maxPerMinute captures the {@code uncertain} and {@code sample:} policies keep per minute
 *     on this node, at most (0: no limit); beyond it an answer is not kept and counted ({@code
 *     rate_limited}). A busy sorting machine's uncertain answers would otherwise cost the node a
 *     store write for a large share of its requests and flood the review queue. {@code always} (in
 *     the configuration or a request's {@code X-Capture}) is not limited.
 */
public record CaptureConfig(
    String waste, String urban, double marginBelow, int queue, int maxPerMinute) {
  /** The default of {@link #maxPerMinute}: one a second, 86,400 a day per node. */
  public static final int DEFAULT_MAX_PER_MINUTE = 60;

  public CaptureConfig {
    CapturePolicy.parse("capture.waste", waste);
    CapturePolicy.parse("capture.urban", urban);
    if (!(marginBelow >= 0 && marginBelow <= 1)) {
      throw new IllegalArgumentException("capture.marginBelow must be in 0..1, got " + marginBelow);
    }
    Bounds.require("capture.queue", queue, 1, 10_000);
    Bounds.require("capture.maxPerMinute", maxPerMinute, 0, 1_000_000);
  }

  /** Settings with the default {@link #maxPerMinute}. */
  public CaptureConfig(String waste, String urban, double marginBelow, int queue) {
    this(waste, urban, marginBelow, queue, DEFAULT_MAX_PER_MINUTE);
  }

  public static CaptureConfig defaults() {
    return new CaptureConfig("uncertain", "never", 0.15, 256, DEFAULT_MAX_PER_MINUTE);
  }

  /** The policy of {@code task}; {@code never} for a task without one. */
  public CapturePolicy policy(String task) {
    return Task.of(task)
        .map(
            t ->
                switch (t) {
                  case WASTE -> CapturePolicy.parse("capture.waste", waste);
                  case URBAN -> CapturePolicy.parse("capture.urban", urban);
                })
        .orElse(CapturePolicy.NEVER);
  }
}
