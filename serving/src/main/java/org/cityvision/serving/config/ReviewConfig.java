package org.cityvision.serving.config;

import java.util.Objects;
import org.cityvision.serving.review.open311.Open311Config;
import org.cityvision.serving.review.webhook.WebhookConfig;

/**
 * Who hears about the review queue: webhook receivers and the Open311 (GeoReport v2) export.
 * Secrets (HMAC secrets, the Open311 api_key) come only from the environment variables these name.
 */
public record ReviewConfig(WebhookConfig webhooks, Open311Config open311) {
  public ReviewConfig {
    Objects.requireNonNull(webhooks, "review.webhooks");
    Objects.requireNonNull(open311, "review.open311");
  }

  /** No webhooks, no Open311 export. */
  public static ReviewConfig defaults() {
    return new ReviewConfig(WebhookConfig.defaults(), Open311Config.defaults());
  }
}
