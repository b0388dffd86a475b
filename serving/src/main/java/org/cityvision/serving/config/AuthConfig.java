package org.cityvision.serving.config;

/**
 * API keys.
 *
 * @param ratePerSecond requests per second each key may make on this node (token bucket); 0 turns
 *     rate limiting off
 * @param burst the bucket's size
 * @param keyRefreshMs how often each node re-reads the keys from the store, so keys created or
 *     deleted on another node take effect here
 */
public record AuthConfig(double ratePerSecond, int burst, long keyRefreshMs) {
  public AuthConfig {
    if (!(ratePerSecond >= 0 && ratePerSecond <= 1_000_000)) {
      throw new IllegalArgumentException(
          "auth.ratePerSecond must be in 0..1000000, got " + ratePerSecond);
    }
    Bounds.require("auth.burst", burst, 1, 10_000_000);
    Bounds.require("auth.keyRefreshMs", keyRefreshMs, 100, 3_600_000);
  }

  static AuthConfig defaults() {
    return new AuthConfig(200, 400, 10_000);
  }
}
