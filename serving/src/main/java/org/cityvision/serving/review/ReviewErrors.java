package org.cityvision.serving.review;

import org.cityvision.serving.http.ApiException;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.UUID;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.SpoolFullException;
import org.cityvision.core.storage.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps failures of review routes to {@code {"error": {"code", "message", "requestId"}}}: validation
 * 400, auth 401/403, not found 404, conflict 409, store down 503, anything else 500 (logged, never
 * shown). Failures of other types (such as the server's own API exceptions from auth) go on to the
 * next failure handler.
 */
public final class ReviewErrors implements Handler<RoutingContext> {
  /** Context key under which the server's request-id handler puts the request id. */
  public static final String REQUEST_ID = "requestId";

  private static final Logger LOG = LoggerFactory.getLogger(ReviewErrors.class);

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable failure = ctx.failure();
    int status;
    String code;
    String message;
    if (failure instanceof ApiException api) {
      status = api.status();
      code = api.code();
      message = api.getMessage();
    } else if (failure instanceof IllegalArgumentException) {
      status = 400;
      code = "invalid_request";
      message = failure.getMessage();
    } else if (failure instanceof ObjectNotFoundException) {
      status = 404;
      code = "not_found";
      message = failure.getMessage();
    } else if (failure instanceof ConflictException) {
      status = 409;
      code = "conflict";
      message = failure.getMessage();
    } else if (failure instanceof StoreUnavailableException || failure instanceof SpoolFullException) {
      status = 503;
      code = "unavailable";
      message = "the store is unavailable; retry later";
      ctx.response().putHeader("Retry-After", "5");
    } else if (failure instanceof HttpException http) {
      status = http.getStatusCode();
      code = codeOf(status);
      message = http.getPayload() != null ? http.getPayload() : codeOf(status).replace('_', ' ');
    } else if (failure == null) {
      status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      code = codeOf(status);
      message = code.replace('_', ' ');
    } else if (failure instanceof RuntimeException && !(failure instanceof IllegalStateException)) {
      // Not ours (the server's auth raises its own exception type): the server's handler answers.
      ctx.next();
      return;
    } else {
      status = 500;
      code = "internal";
      message = "internal error";
    }
    String requestId = requestId(ctx);
    if (status == 500) {
      LOG.error("request {} {} {} failed", requestId, ctx.request().method(), ctx.request().path(), failure);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(Buffer.buffer(ReviewJson.error(code, message, requestId).toString()));
  }

  static String requestId(RoutingContext ctx) {
    Object id = ctx.get(REQUEST_ID);
    if (id == null) {
      id = UUID.randomUUID().toString();
      ctx.put(REQUEST_ID, id);
    }
    return id.toString();
  }

  private static String codeOf(int status) {
    return switch (status) {
      case 400 -> "invalid_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 409 -> "conflict";
      case 413 -> "too_large";
      case 415 -> "unsupported_media_type";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal" : "error";
    };
  }
}
