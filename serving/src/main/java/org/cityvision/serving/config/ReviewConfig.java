package org.cityvision.serving.config;

import java.time.Duration;
import java.util.Objects;
import org.cityvision.serving.review.open311.Open311Config;
import org.cityvision.serving.review.webhook.WebhookConfig;

/**
 * Who hears about the review queue (webhook receivers and the Open311 (GeoReport v2) export) and
 * how long a reviewer may take their own verdict back. Secrets (HMAC secrets, the Open311 api_key)
 * come only from the environment variables these name.
 *
 * @param reopenMinutes a reviewer may reopen (undo) their own verdict this long after giving it,
 *     while it is the flag's latest; admins may reopen any verdict at any time
 * @param grouping how near-duplicate flags are grouped
 */
public record ReviewConfig(
    WebhookConfig webhooks, Open311Config open311, int reopenMinutes, GroupingConfig grouping) {
  /** A reviewer's own verdict can be taken back for this long unless configured. */
  public static final int DEFAULT_REOPEN_MINUTES = 10;

  public ReviewConfig {
    Objects.requireNonNull(webhooks, "review.webhooks");
    Objects.requireNonNull(open311, "review.open311");
    Bounds.require("review.reopenMinutes", reopenMinutes, 1, 1440);
    Objects.requireNonNull(grouping, "review.grouping");
  }

  /** As given, with the default grouping. */
  public ReviewConfig(WebhookConfig webhooks, Open311Config open311, int reopenMinutes) {
    this(webhooks, open311, reopenMinutes, GroupingConfig.defaults());
  }

  /** Webhooks and the Open311 export as given, the default reopen window. */
  public ReviewConfig(WebhookConfig webhooks, Open311Config open311) {
    this(webhooks, open311, DEFAULT_REOPEN_MINUTES);
  }

  /** No webhooks, no Open311 export. */
  public static ReviewConfig defaults() {
    return new ReviewConfig(WebhookConfig.defaults(), Open311Config.defaults());
  }

  /** {@link #reopenMinutes} as a duration. */
  public Duration reopenWindow() {
    return Duration.ofMinutes(reopenMinutes);
  }
}
