package org.cityvision.serving.config;

/**
 * How a candidate model runs in the shadow of the live one ({@code POST
 * /v1/models/{name}/candidates/{id}/shadow}).
 *
 * @param rate the share of live answers the candidate also classifies when a shadow run names no
 *     rate, in (0, 1]
 * @param queue images waiting for the shadow worker, at most; a sample beyond it is dropped and
 *     counted, never delaying an answer
 * @param reportMs how often each node writes its comparisons to the store (and so how fresh {@code
 *     GET .../candidates/{id}} is)
 */
public record ShadowConfig(double rate, int queue, long reportMs) {
  public ShadowConfig {
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("shadow.rate must be in (0, 1], got " + rate);
    }
    Bounds.require("shadow.queue", queue, 1, 1_000);
    Bounds.require("shadow.reportMs", reportMs, 100, 600_000);
  }

  public static ShadowConfig defaults() {
    return new ShadowConfig(0.1, 16, 5_000);
  }
}
