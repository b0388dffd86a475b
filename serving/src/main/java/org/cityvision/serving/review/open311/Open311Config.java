package org.cityvision.serving.review.open311;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import org.cityvision.core.naming.Names;

/**
 * The city's GeoReport v2 endpoint and how confirmed flags map onto it.
 *
 * @param endpoint base URL; requests go to {@code {endpoint}/requests.json}; empty turns the export
 *     off
 * @param jurisdictionId sent as {@code jurisdiction_id} when not empty
 * @param serviceCodes label → {@code service_code}; flags of other labels are not exported
 * @param cameras camera id → position; flags of cameras not listed are skipped (and recorded so)
 * @param apiKeyEnv environment variable holding the {@code api_key}
 * @param mediaUrlExpirySeconds lifetime of the presigned image URL sent as {@code media_url} (the
 *     store's presigned URLs last at most 7 days); 0 sends no {@code media_url}
 * @param timeoutMs per request
 * @param resendIntervalSeconds how often each node sends the confirmed flags not sent yet (a send
 *     that failed, a confirmation made while the endpoint was down or the node was stopped); 0
 *     turns the resend off
 * @param resendLookbackDays how far back the resend looks for confirmed flags
 */
public record Open311Config(
    String endpoint,
    String jurisdictionId,
    Map<String, String> serviceCodes,
    Map<String, CameraSite> cameras,
    String apiKeyEnv,
    long mediaUrlExpirySeconds,
    long timeoutMs,
    long resendIntervalSeconds,
    long resendLookbackDays) {
  public static final String DEFAULT_API_KEY_ENV = "CITYVISION_OPEN311_API_KEY";

  public Open311Config {
    endpoint = endpoint == null ? "" : endpoint.strip();
    if (!endpoint.isEmpty()) {
      URI uri = URI.create(endpoint);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "review.open311.endpoint must be an http(s) URL, got " + endpoint);
      }
    }
    jurisdictionId = jurisdictionId == null ? "" : jurisdictionId.strip();
    serviceCodes = serviceCodes == null ? Map.of() : Map.copyOf(serviceCodes);
    serviceCodes.forEach(
        (label, code) -> {
          Names.requireSegment("review.open311.serviceCodes label", label);
          if (code == null || code.isBlank() || code.length() > 100) {
            throw new IllegalArgumentException(
                "review.open311.serviceCodes." + label + " must be 1-100 characters");
          }
        });
    cameras = cameras == null ? Map.of() : Map.copyOf(cameras);
    cameras.keySet().forEach(id -> Names.requireSegment("review.open311.cameras id", id));
    apiKeyEnv = apiKeyEnv == null || apiKeyEnv.isBlank() ? DEFAULT_API_KEY_ENV : apiKeyEnv;
    if (mediaUrlExpirySeconds < 0 || mediaUrlExpirySeconds > 7 * 86_400) {
      throw new IllegalArgumentException(
          "review.open311.mediaUrlExpirySeconds must be in 0..604800, got "
              + mediaUrlExpirySeconds);
    }
    if (timeoutMs < 100 || timeoutMs > 600_000) {
      throw new IllegalArgumentException(
          "review.open311.timeoutMs must be in 100..600000, got " + timeoutMs);
    }
    if (resendIntervalSeconds < 0 || resendIntervalSeconds > 86_400) {
      throw new IllegalArgumentException(
          "review.open311.resendIntervalSeconds must be in 0..86400, got " + resendIntervalSeconds);
    }
    if (resendLookbackDays < 1 || resendLookbackDays > 365) {
      throw new IllegalArgumentException(
          "review.open311.resendLookbackDays must be in 1..365, got " + resendLookbackDays);
    }
  }

  /** With the default resend: every 10 minutes, 7 days back. */
  public Open311Config(
      String endpoint,
      String jurisdictionId,
      Map<String, String> serviceCodes,
      Map<String, CameraSite> cameras,
      String apiKeyEnv,
      long mediaUrlExpirySeconds,
      long timeoutMs) {
    this(
        endpoint,
        jurisdictionId,
        serviceCodes,
        cameras,
        apiKeyEnv,
        mediaUrlExpirySeconds,
        timeoutMs,
        600,
        7);
  }

  /** Off: no endpoint. */
  public static Open311Config defaults() {
    return new Open311Config("", "", Map.of(), Map.of(), DEFAULT_API_KEY_ENV, 7 * 86_400, 10_000);
  }

  public boolean enabled() {
    return !endpoint.isEmpty();
  }
}
