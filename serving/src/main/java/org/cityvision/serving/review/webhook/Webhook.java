package org.cityvision.serving.review.webhook;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One webhook receiver, as configured.
 *
 * @param url {@code http} or {@code https} URL that receives the POSTs
 * @param events the events it receives, as wire names ({@code flag.created}, {@code
 *     flag.confirmed}); empty means both
 * @param secretEnv the environment variable holding the HMAC secret (secrets never come from the
 *     configuration file); default {@code CITYVISION_WEBHOOK_SECRET}
 */
public record Webhook(String url, List<String> events, String secretEnv) {
  public static final String DEFAULT_SECRET_ENV = "CITYVISION_WEBHOOK_SECRET";

  public Webhook {
    Objects.requireNonNull(url, "review.webhooks[].url");
    URI uri = URI.create(url);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "review.webhooks[].url must be an http(s) URL, got " + url);
    }
    events =
        events == null || events.isEmpty()
            ? List.of(WebhookEvent.FLAG_CREATED.wireName(), WebhookEvent.FLAG_CONFIRMED.wireName())
            : List.copyOf(events);
    events.forEach(WebhookEvent::fromWireName);
    secretEnv = secretEnv == null || secretEnv.isBlank() ? DEFAULT_SECRET_ENV : secretEnv;
    if (!secretEnv.matches("[A-Z][A-Z0-9_]{0,127}")) {
      throw new IllegalArgumentException(
          "review.webhooks[].secretEnv must be an environment variable name, got " + secretEnv);
    }
  }

  public boolean wants(WebhookEvent event) {
    return events.contains(event.wireName());
  }
}
