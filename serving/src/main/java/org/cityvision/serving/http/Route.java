package org.cityvision.serving.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One entry of the API's route table: the router mounts it, the metrics label its requests with
 * {@link #path()}, and {@code /openapi.json} documents it (a test keeps the two in step).
 *
 * @param path the template in OpenAPI form ({@code /v1/flags/{frameId}/review}); a path ending in
 *     {@code /*} serves files under it and is not an API operation (see {@link #documented()})
 * @param beforeBody run before the request's body is read (after the key is known to be valid), or
 *     {@code null}: a route that can refuse a request from its headers and the node's state alone
 *     (an overloaded node) does so here, so that a refused request's body is never read
 */
public record Route(
    HttpMethod method,
    String path,
    Access access,
    Handler<RoutingContext> beforeBody,
    Handler<RoutingContext> handler) {
  private static final Pattern TEMPLATE =
      Pattern.compile("/|(/([A-Za-z0-9._-]+|\\{[A-Za-z]+\\}))+(/\\*)?|/\\*");

  public Route {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(access, "access");
    Objects.requireNonNull(handler, "handler");
    if (path == null || !TEMPLATE.matcher(path).matches()) {
      throw new IllegalArgumentException(
          "a route path is '/' and segments of [A-Za-z0-9._-] or {name}, "
              + "optionally ending in '/*'; got '"
              + path
              + "'");
    }
  }

  public Route(HttpMethod method, String path, Access access, Handler<RoutingContext> handler) {
    this(method, path, access, null, handler);
  }

  /** Whether {@code /openapi.json} documents this route (file routes are not operations). */
  public boolean documented() {
    return !path.endsWith("*");
  }

  /** {@code "GET /v1/flags"}: how the table, logs and tests name the route. */
  public String name() {
    return method.name() + " " + path;
  }
}
