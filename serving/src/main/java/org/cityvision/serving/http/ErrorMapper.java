package org.cityvision.serving.http;

import io.vertx.ext.web.handler.HttpException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.ClassifierClosedException;
import org.cityvision.core.classify.OverCapacityException;
import org.cityvision.core.image.CorruptImageException;
import org.cityvision.core.image.ImageTooLargeException;
import org.cityvision.core.image.UnsupportedImageException;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.SpoolFullException;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.serving.inference.ModelUnavailableException;
import org.cityvision.serving.inference.UnknownTaskException;

/**
 * The one place where failures become HTTP statuses, for every route of the API: validation 400 (an
 * {@link IllegalArgumentException} is a refused value: {@code invalid_request} with its message),
 * auth 401/403, not found 404, conflict 409, too large 413, unsupported type 415, rate 429,
 * overload 503 (with {@code Retry-After}), anything else 500. Messages of {@link VisionException}s
 * name the value and the rule and carry no secrets, so they are shown; the message of anything
 * unexpected is not.
 */
public final class ErrorMapper {
  /**
   * The code of a request refused by validation: a parameter, header or body field breaks a rule.
   */
  public static final String INVALID_REQUEST = "invalid_request";

  private ErrorMapper() {}

  /** The answer for a failure; {@code status} is the routing context's status, -1 when none. */
  public static ApiException map(Throwable failure, int status) {
    Throwable f = unwrap(failure);
    if (f instanceof ApiException api) {
      return api;
    }
    if (f instanceof IllegalArgumentException) {
      return new ApiException(
          400,
          INVALID_REQUEST,
          f.getMessage() == null ? "the request breaks a rule of this route" : f.getMessage());
    }
    if (f instanceof UnknownTaskException) {
      return new ApiException(404, "unknown_task", f.getMessage());
    }
    if (f instanceof ModelUnavailableException) {
      return new ApiException(503, "model_unavailable", f.getMessage(), 30);
    }
    if (f instanceof UnsupportedImageException) {
      return new ApiException(415, "unsupported_media_type", f.getMessage());
    }
    if (f instanceof ImageTooLargeException) {
      return new ApiException(413, "image_too_large", f.getMessage());
    }
    if (f instanceof CorruptImageException) {
      return new ApiException(400, "corrupt_image", f.getMessage());
    }
    if (f instanceof OverCapacityException) {
      return new ApiException(503, "overloaded", f.getMessage(), 1);
    }
    if (f instanceof ClassifierClosedException) {
      return new ApiException(
          503, "shutting_down", "the server is shutting down; retry on another node", 1);
    }
    if (f instanceof SpoolFullException) {
      return new ApiException(
          503, "store_unavailable", "storage is unavailable and the local spool is full", 5);
    }
    if (f instanceof StoreUnavailableException) {
      return new ApiException(503, "store_unavailable", "storage is unavailable; retry later", 5);
    }
    if (f instanceof ObjectNotFoundException) {
      return new ApiException(404, "not_found", f.getMessage());
    }
    if (f instanceof ConflictException) {
      return new ApiException(409, "conflict", f.getMessage());
    }
    if (f instanceof HttpException http) {
      return fromStatus(http.getStatusCode());
    }
    if (f == null || status > 0 && status != 500) {
      return fromStatus(status);
    }
    return new ApiException(
        500, "internal_error", "internal error; the request id identifies it in the server log");
  }

  /** Statuses raised by Vert.x itself (body limit, routing, timeout). */
  static ApiException fromStatus(int status) {
    return switch (status) {
      case 400 -> new ApiException(400, "bad_request", "the request is malformed");
      case 404 -> new ApiException(404, "not_found", "no such resource");
      case 405 ->
          new ApiException(405, "method_not_allowed", "this resource does not accept that method");
      case 413 ->
          new ApiException(413, "body_too_large", "the request body is larger than the limit");
      case 415 -> new ApiException(415, "unsupported_media_type", "unsupported content type");
      case 503 ->
          new ApiException(503, "timeout", "the request did not finish in time; retry later", 1);
      default ->
          status >= 400 && status < 600
              ? new ApiException(
                  status, status < 500 ? "bad_request" : "internal_error", "request failed")
              : new ApiException(
                  500,
                  "internal_error",
                  "internal error; the request id identifies it in the server log");
    };
  }

  private static Throwable unwrap(Throwable t) {
    Throwable f = t;
    while ((f instanceof CompletionException || f instanceof ExecutionException)
        && f.getCause() != null) {
      f = f.getCause();
    }
    return f;
  }
}
