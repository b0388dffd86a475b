package org.cityvision.serving.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a request whose declared {@code Content-Length} is over the limit with 413 before a byte
 * of its body is read; {@code BodyHandler} enforces the same limit on bodies without a length.
 */
public final class BodyLimit implements Handler<RoutingContext> {
  private final long limit;

  public BodyLimit(long limit) {
    this.limit = limit;
  }

  /** {@link #declaredLength} of a {@code Content-Length} that is not a number. */
  public static final long NOT_A_NUMBER = Long.MIN_VALUE;

  /**
   * The request's declared {@code Content-Length}: -1 when it has none, {@link #NOT_A_NUMBER} when
   * it is not a number (a request this handler refuses).
   */
  public static long declaredLength(HttpServerRequest request) {
    String declared = request.getHeader("Content-Length");
    if (declared == null) {
      return -1;
    }
    try {
      return Long.parseLong(declared.strip());
    } catch (NumberFormatException e) {
      return NOT_A_NUMBER;
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    long length = declaredLength(ctx.request());
    if (length == NOT_A_NUMBER) {
      ctx.fail(ApiException.badRequest("bad_request", "Content-Length is not a number"));
      return;
    }
    if (length > limit) {
      ctx.fail(
          new ApiException(
              413,
              "body_too_large",
              "the request body is " + length + " bytes; the limit is " + limit));
      return;
    }
    ctx.next();
  }
}
