package org.cityvision.serving.review.webhook;

import java.util.List;

/**
 * Webhook delivery.
 *
 * @param hooks the receivers; empty turns notifications off
 * @param queueCapacity deliveries waiting or in flight, over all receivers; beyond it new ones are
 *     dropped and counted
 * @param maxAttempts tries per delivery, the first included
 * @param initialBackoffMs wait before the second try; doubled per try up to {@code maxBackoffMs}
 * @param timeoutMs connect and response timeout of each try
 */
public record WebhookConfig(
    List<Webhook> hooks,
    int queueCapacity,
    int maxAttempts,
    long initialBackoffMs,
    long maxBackoffMs,
    long timeoutMs) {
  public WebhookConfig {
    hooks = hooks == null ? List.of() : List.copyOf(hooks);
    require("queueCapacity", queueCapacity, 1, 1_000_000);
    require("maxAttempts", maxAttempts, 1, 50);
    require("initialBackoffMs", initialBackoffMs, 1, 3_600_000);
    require("maxBackoffMs", maxBackoffMs, initialBackoffMs, 86_400_000);
    require("timeoutMs", timeoutMs, 100, 600_000);
  }

  /** No receivers; 1,000 queued, 8 tries from 1 s doubling to 5 min, 10 s timeout. */
  public static WebhookConfig defaults() {
    return new WebhookConfig(List.of(), 1000, 8, 1000, 300_000, 10_000);
  }

  public WebhookConfig withHooks(List<Webhook> value) {
    return new WebhookConfig(
        value, queueCapacity, maxAttempts, initialBackoffMs, maxBackoffMs, timeoutMs);
  }

  private static void require(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "review.webhooks." + name + " must be in " + min + ".." + max + ", got " + value);
    }
  }
}
