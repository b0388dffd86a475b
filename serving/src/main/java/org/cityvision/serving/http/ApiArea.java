package org.cityvision.serving.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The routes of one area of the API (frames, classify, models, review, batch, keys, operations,
 * ...), added with {@link #add}. The areas' routes together are the API's route table, which {@code
 * ApiRouter} mounts, the metrics label and {@code /openapi.json} documents.
 *
 * <p>Each area's routes class returns its area, for example:
 *
 * <pre>{@code
 * public ApiArea area() {
 *   return new ApiArea("batch")
 *       .add(HttpMethod.POST, "/v1/batch", Access.ADMIN, this::start)
 *       .add(HttpMethod.GET, "/v1/batch/{jobId}", Access.ADMIN, this::status);
 * }
 * }</pre>
 *
 * <p>Not thread-safe while being built; read-only once handed to the router.
 */
public final class ApiArea {
  private final String name;
  private final List<Route> routes = new ArrayList<>();

  /**
   * @param name what the area is, for messages ({@code "review"}, {@code "batch"})
   */
  public ApiArea(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("an API area needs a name");
    }
    this.name = name;
  }

  /**
   * Adds a route: requests matching {@code method} and {@code path} are labelled with the path,
   * admitted by {@code access}, then handed to {@code handler}. A handler may throw or {@code
   * ctx.fail} any exception: the one failure handler answers with the JSON error {@link
   * ErrorMapper} chooses.
   *
   * @param path an OpenAPI path template, such as {@code /v1/flags/{frameId}/review}
   */
  public ApiArea add(
      HttpMethod method, String path, Access access, Handler<RoutingContext> handler) {
    routes.add(new Route(method, path, access, handler));
    return this;
  }

  /**
   * As {@link #add(HttpMethod, String, Access, Handler)}, with a handler that runs before the body
   * is read: it calls {@code ctx.next()} to go on, or fails the request (with {@code Connection:
   * close} when the body was not read, since the connection cannot be reused), so that a request it
   * refuses never costs the node its body.
   */
  public ApiArea add(
      HttpMethod method,
      String path,
      Access access,
      Handler<RoutingContext> beforeBody,
      Handler<RoutingContext> handler) {
    routes.add(new Route(method, path, access, beforeBody, handler));
    return this;
  }

  public String name() {
    return name;
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }
}
