package org.cityvision.serving.review.webhook;

/** What a webhook can subscribe to. */
public enum WebhookEvent {
  /** A frame was put on the review queue. */
  FLAG_CREATED("flag.created"),
  /** A reviewer confirmed a flag. */
  FLAG_CONFIRMED("flag.confirmed"),
  /** A camera's confirmed faults made it {@code fault} or {@code degraded}. */
  CAMERA_FAULT("camera.fault"),
  /** A camera sent nothing for its silence limit. */
  CAMERA_SILENT("camera.silent"),
  /** A camera came back to {@code ok}. */
  CAMERA_RECOVERED("camera.recovered");

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
    throw new IllegalArgumentException(
        "webhook event must be flag.created, flag.confirmed, camera.fault, "
            + "camera.silent or camera.recovered, got "
            + value);
  }
}
