package org.cityvision.serving.review.open311;

import java.util.Map;

/**
 * Counters of an {@link Open311Exporter} since it started, for {@code /metrics}.
 *
 * @param outcomes pushes by outcome
 * @param dropped pushes that did not fit the export queue (the resend sends them)
 * @param resendPasses scheduled resend passes completed
 */
public record Open311Stats(
    Map<Open311Outcome.State, Long> outcomes, long dropped, long resendPasses) {
  public Open311Stats {
    outcomes = Map.copyOf(outcomes);
  }
}
