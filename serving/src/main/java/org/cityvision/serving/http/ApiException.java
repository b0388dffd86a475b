package org.cityvision.serving.http;

/**
 * A request refused with a status, a stable machine-readable code and a message for people. Thrown
 * or passed to {@code RoutingContext.fail} by handlers; {@link FailureHandler} writes it as {@code
 * {"error": {"code", "message", "requestId"}}}. Carries no stack trace: it is an answer, not a bug.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final int retryAfterSeconds;

  public ApiException(int status, String code, String message) {
    this(status, code, message, 0);
  }

  /** With {@code Retry-After} (seconds; 0 for none), for 429 and 503. */
  public ApiException(int status, String code, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("an API error needs a 4xx or 5xx status, got " + status);
    }
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }

  public static ApiException notFound(String code, String message) {
    return new ApiException(404, code, message);
  }

  public static ApiException unavailable(String code, String message) {
    return new ApiException(503, code, message, 1);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
