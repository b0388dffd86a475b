package org.cityvision.serving.review.webhook;

/** What a webhook can subscribe to. */
public enum WebhookEvent {
  /** A frame was put on the review queue. */
  FLAG_CREATED("flag.created"),
  /** A reviewer confirmed a flag. */
  FLAG_CONFIRMED("flag.confirmed");

  private final String wireName;

  WebhookEvent(String wireName) {
    this.wireName = wireName;
  }

  /** The name in the payload, the {@code X-CityVision-Event} header and the configuration. */
  public String wireName() {
    return wireName;
  }

  public static WebhookEvent fromWireName(String value) {
    for (WebhookEvent e : values()) {
      if (e.wireName.equals(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException("webhook event must be flag.created or flag.confirmed, got " + value);
  }
}
