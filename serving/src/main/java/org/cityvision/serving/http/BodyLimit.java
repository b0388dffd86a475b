package org.cityvision.serving.http;

import io.vertx.core.Handler;
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

  @Override
  public void handle(RoutingContext ctx) {
    String declared = ctx.request().getHeader("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.strip());
      } catch (NumberFormatException e) {
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
    }
    ctx.next();
  }
}
