package org.cityvision.serving.auth;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A token bucket per API key on this node: {@code ratePerSecond} tokens a second, up to {@code
 * burst}. Nodes do not share buckets, so behind a balancer of N nodes a key can make up to N times
 * the rate; the limit protects each node, not the fleet.
 *
 * <p>Thread-safe; non-blocking (a short lock per bucket).
 */
public final class RateLimiter {
  private final double ratePerNano;
  private final double burst;
  private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long updated;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updated = now;
    }
  }

  /**
   * @param ratePerSecond 0 disables limiting
   */
  public RateLimiter(double ratePerSecond, int burst) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
  }

  /**
   * Takes one token for {@code key}.
   *
   * @return 0 when allowed, else the seconds until a token is available (at least 1)
   */
  public int acquire(String key) {
    if (ratePerNano <= 0) {
      return 0;
    }
    long now = System.nanoTime();
    Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
    synchronized (b) {
      b.tokens = Math.min(burst, b.tokens + (now - b.updated) * ratePerNano);
      b.updated = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return (int) Math.max(1, Math.ceil((1 - b.tokens) / ratePerNano / 1e9));
    }
  }
}
