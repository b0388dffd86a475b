package org.cityvision.serving.log;

import io.vertx.core.internal.ContextInternal;

/**
 * The request id of the HTTP request whose code runs now. Vert.x runs each request on its own
 * duplicated context, and every callback of that request (a future's continuation, a blocking task
 * on a worker executor, the response's end handler) runs on it again, whichever thread picks it up;
 * so the id is kept in the context's local data, not in a thread local, and never leaks to the next
 * request an event loop handles. {@link RequestIdFilter} puts it into the MDC of each log line.
 *
 * <p>Thread-safe. Code outside any Vert.x context (threads we own, such as inference workers) has
 * no request id.
 */
public final class RequestIds {
  /** The MDC key, and the JSON field of every line logged while a request is handled. */
  public static final String MDC_KEY = "requestId";

  /** A private key: no other code can read or overwrite the id in the context's local data. */
  private static final Object KEY = new Object();

  private RequestIds() {}

  /**
   * Binds {@code requestId} to the current request's context; ignored outside a duplicated
   * (per-request) context, where it would outlive the request.
   */
  public static void bind(String requestId) {
    ContextInternal context = ContextInternal.current();
    if (context != null && context.isDuplicate()) {
      context.putLocal(KEY, requestId);
    }
  }

  /** The id bound to the current request's context, or {@code null} outside a request. */
  public static String current() {
    ContextInternal context = ContextInternal.current();
    if (context == null || !context.isDuplicate()) {
      return null;
    }
    Object id = context.getLocal(KEY);
    return id instanceof String s ? s : null;
  }
}
