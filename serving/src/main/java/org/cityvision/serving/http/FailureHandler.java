package org.cityvision.serving.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import org.cityvision.serving.log.JsonLog;

/**
 * Writes every failure as {@code {"error": {"code", "message", "requestId"}}} with the status
 * {@link ErrorMapper} chooses. Unexpected failures (500) are logged with their stack trace under
 * the request id; the client sees neither the trace nor the exception's message.
 */
public final class FailureHandler implements Handler<RoutingContext> {
  @Override
  public void handle(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (clientGone(ctx)) {
      // A reload or a closed tab mid-answer (a static file, a stream): nothing to answer, no fault.
      JsonLog.get()
          .info(
              "client_gone",
              "route",
              ctx.get(RequestLog.ROUTE, "unmatched"),
              "error",
              String.valueOf(ctx.failure().getMessage()));
      if (!response.closed() && !response.ended()) {
        response.reset();
      }
      return;
    }
    ApiException error = ErrorMapper.map(ctx.failure(), ctx.statusCode());
    String requestId = RequestLog.requestId(ctx);
    if (error.status() >= 500
        && !"timeout".equals(error.code())
        && error.retryAfterSeconds() == 0) {
      JsonLog.get()
          .error(
              "request_failed",
              ctx.failure(),
              "route",
              ctx.get(RequestLog.ROUTE, "unmatched"),
              "status",
              ctx.statusCode());
    }
    if (response.ended()) {
      return;
    }
    if (response.headWritten()) {
      // Part of an answer is on the wire: the only honest signal left is a broken connection.
      response.reset();
      return;
    }
    write(ctx.request(), error, requestId);
  }

  /**
   * Whether the failure is the client's connection going away while its answer was being written
   * (broken pipe, reset), as opposed to a fault of the server's.
   */
  static boolean clientGone(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    return ctx.failure() instanceof IOException && (response.closed() || response.headWritten());
  }

  /** Writes an error answer; used outside the router too (invalid requests, body limit). */
  public static void write(HttpServerRequest request, ApiException error, String requestId) {
    HttpServerResponse response = request.response();
    JsonObject body =
        new JsonObject()
            .put(
                "error",
                new JsonObject()
                    .put("code", error.code())
                    .put("message", error.getMessage())
                    .put("requestId", requestId));
    response.setStatusCode(error.status()).putHeader("Content-Type", "application/json");
    if (error.retryAfterSeconds() > 0) {
      response.putHeader("Retry-After", Integer.toString(error.retryAfterSeconds()));
    }
    if (request.version() == HttpVersion.HTTP_2) {
      // One stream of a shared connection: ending it discards its unread body; the connection, and
      // every other stream on it, stays.
      response.headers().remove("Connection");
      response.end(body.toBuffer());
      return;
    }
    if (error.status() == 413) {
      // The rest of an oversized body is not worth reading.
      response.putHeader("Connection", "close");
    }
    if ("close".equalsIgnoreCase(response.headers().get("Connection"))) {
      // A refusal before the body (413, 401, an overloaded node): the unread rest of the body would
      // be taken for the next request, so the connection ends with the answer.
      response.end(body.toBuffer()).onComplete(done -> request.connection().close());
      return;
    }
    response.end(body.toBuffer());
  }
}
