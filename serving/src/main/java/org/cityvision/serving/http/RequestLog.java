package org.cityvision.serving.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.log.RequestIds;
import org.cityvision.serving.metrics.Metrics;

/**
 * The first handler of every request: gives it a request id (the client's {@code X-Request-Id} when
 * it is a safe token, else a new one) echoed in the response, and when the response ends records
 * its route, status and latency in the metrics and one JSON access-log line (except for the node's
 * own requests, {@link #UNRECORDED}). The id is bound to the request's Vert.x context ({@link
 * RequestIds}), so that every log line of the request carries it as {@code requestId}.
 */
public final class RequestLog implements Handler<RoutingContext> {
  /** Context key of the request id. */
  public static final String REQUEST_ID = "requestId";

  /** Context key of the route template, set by {@link #route(String)}; the metrics label. */
  public static final String ROUTE = "route";

  /** Context key of the caller's key name, set by authentication. */
  public static final String PRINCIPAL_NAME = "principalName";

  /**
   * Context key set (to {@code true}) by authentication for the node's own requests (its start-up
   * warm-up): they are left out of the metrics and the access log.
   */
  public static final String UNRECORDED = "unrecorded";

  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Metrics metrics;
  private final boolean accessLog;

  public RequestLog(Metrics metrics, boolean accessLog) {
    this.metrics = metrics;
    this.accessLog = accessLog;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    String offered = ctx.request().getHeader("X-Request-Id");
    String id = offered != null && CLIENT_ID.matcher(offered).matches() ? offered : newId();
    ctx.put(REQUEST_ID, id);
    // Every line logged while this request's code runs carries the id (RequestIdFilter).
    RequestIds.bind(id);
    ctx.response().putHeader("X-Request-Id", id);
    ctx.addEndHandler(
        done -> {
          if (ctx.get(UNRECORDED) != null) {
            return;
          }
          long nanos = System.nanoTime() - start;
          String route = ctx.get(ROUTE, "unmatched");
          int status = ctx.response().getStatusCode();
          String method = ctx.request().method().name();
          metrics.request(method, route, status, nanos);
          if (accessLog) {
            JsonLog.get()
                .info(
                    "http_request",
                    "method",
                    method,
                    "route",
                    route,
                    "status",
                    status,
                    "ms",
                    Math.round(nanos / 1e4) / 100.0,
                    "bytesIn",
                    ctx.request().bytesRead(),
                    "key",
                    ctx.get(PRINCIPAL_NAME),
                    "ok",
                    done.succeeded());
          }
        });
    ctx.next();
  }

  /** A handler that labels the request with its route template (for metrics and the log). */
  public static Handler<RoutingContext> route(String template) {
    return ctx -> {
      ctx.put(ROUTE, template);
      ctx.next();
    };
  }

  public static String requestId(RoutingContext ctx) {
    return ctx.get(REQUEST_ID, "none");
  }

  private static String newId() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
