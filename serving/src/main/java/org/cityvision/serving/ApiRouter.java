package org.cityvision.serving;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.BodyLimit;
import org.cityvision.serving.http.FailureHandler;
import org.cityvision.serving.http.RequestLog;
import org.cityvision.serving.http.Route;
import org.cityvision.serving.metrics.Metrics;

/**
 * The whole HTTP API, built in one place from the areas' route tables. Every request first gets a
 * request id, the access log and metrics ({@link RequestLog}), the body limit on its declared
 * length (413 before reading), the request timeout, the key's validity and any route's own check
 * before the body ({@link Route#beforeBody()}, such as an overloaded node's refusal), and its body
 * read up to the same limit; then the route table, the routes of every {@link ApiArea} in order,
 * each labelled with its template (the metrics' {@code route}), checking the key and its role
 * ({@link Authenticator}) and running its handler; one {@link FailureHandler} maps every failure of
 * every area to a JSON error.
 *
 * <p>A route whose path ends in {@code /*} (the review page's files) is mounted last, for GET only,
 * on every path outside the other routes' first segments, so that an unknown API path stays a JSON
 * 404 rather than a file lookup or a 405.
 */
public final class ApiRouter {
  private final List<Route> table;

  /**
   * @param areas the API's areas, in the order their routes are tried
   * @throws IllegalStateException when two routes share a method and path
   */
  public ApiRouter(List<ApiArea> areas) {
    List<Route> all = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ApiArea area : areas) {
      for (Route r : area.routes()) {
        if (!names.add(r.name())) {
          throw new IllegalStateException(
              "route " + r.name() + " is added twice (again by area '" + area.name() + "')");
        }
        all.add(r);
      }
    }
    this.table = List.copyOf(all);
  }

  /** The route table: every route of every area, in mounting order. */
  public List<Route> routes() {
    return table;
  }

  /** A router for one HTTP server (one per event loop); the routes' handlers are shared. */
  public Router router(Vertx vertx, ServerConfig config, Metrics metrics, Authenticator auth) {
    FailureHandler failures = new FailureHandler();
    BodyHandler body =
        BodyHandler.create(config.uploadsDir().toString())
            .setBodyLimit(config.http().bodyLimitBytes())
            .setHandleFileUploads(true)
            .setDeleteUploadedFilesOnEnd(true)
            .setMergeFormAttributes(false);

    Router root = Router.router(vertx);
    root.route().handler(new RequestLog(metrics, config.log().access()));
    root.route().handler(new BodyLimit(config.http().bodyLimitBytes()));
    root.route().handler(TimeoutHandler.create(config.http().requestTimeoutMs(), 503));
    // No body is read or written to disk for a request without a valid key; roles come per route.
    root.route("/v1/*").handler(auth.beforeBody());
    // Routes that can refuse a request from its headers and the node's state do so before its body.
    for (Route r : table) {
      if (r.beforeBody() != null && r.documented()) {
        root.route(r.method(), vertxPath(r))
            .handler(RequestLog.route(r.path()))
            .handler(r.beforeBody());
      }
    }
    root.route().handler(body);

    // Every route on the root router, in table order, so that Vert.x's own 404 and 405 decisions
    // see the whole table.
    List<Route> files = new ArrayList<>();
    for (Route r : table) {
      if (!r.documented()) {
        files.add(r);
        continue;
      }
      var route = root.route(r.method(), vertxPath(r)).handler(RequestLog.route(r.path()));
      if (!r.access().open()) {
        route.handler(auth.require(r.access().roles().toArray(KeyRole[]::new)));
      }
      route.handler(r.handler());
    }
    for (Route r : files) {
      root.routeWithRegex(r.method(), outside(r))
          .handler(RequestLog.route(r.path()))
          .handler(r.handler());
    }
    root.route().failureHandler(failures);
    root.errorHandler(404, failures);
    root.errorHandler(405, failures);
    return root;
  }

  private static String vertxPath(Route r) {
    return r.path().replaceAll("\\{([A-Za-z]+)\\}", ":$1");
  }

  /** The regex of a file route: under its folder, outside every first segment of the API routes. */
  private String outside(Route files) {
    Set<String> taken = new LinkedHashSet<>();
    for (Route r : table) {
      if (r.documented()) {
        taken.add(Pattern.quote(r.path().substring(1).split("/")[0]));
      }
    }
    String folder = files.path().substring(0, files.path().length() - 1);
    return "^"
        + Pattern.quote(folder)
        + "(?!("
        + taken.stream().collect(Collectors.joining("|"))
        + ")(/|$)).*";
  }
}
