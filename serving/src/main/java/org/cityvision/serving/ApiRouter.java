package org.cityvision.serving;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.util.ArrayList;
import java.util.List;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.batch.BatchRoutes;
import org.cityvision.serving.auth.KeyRoutes;
import org.cityvision.serving.cameras.CameraRoutes;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.health.HealthRoutes;
import org.cityvision.serving.http.BodyLimit;
import org.cityvision.serving.http.FailureHandler;
import org.cityvision.serving.http.RequestLog;
import org.cityvision.serving.inference.ClassifyRoutes;
import org.cityvision.serving.inference.ModelRoutes;
import org.cityvision.serving.ingest.FrameRoutes;
import org.cityvision.serving.metrics.Metrics;
import org.cityvision.serving.review.ReviewDeps;
import org.cityvision.serving.review.ReviewPage;
import org.cityvision.serving.review.ReviewRoutes;

/**
 * The whole HTTP API, built in one place. Every request first gets a request id, the access log
 * and metrics ({@link RequestLog}), the body limit on its declared length (413 before reading),
 * the request timeout, and its body read up to the same limit; then one sub-router per area, each
 * route checking the key and its role; one failure handler maps every failure to a JSON error.
 *
 * <p>{@link #ROUTES} lists every route; {@code /openapi.json} documents the same set (a test keeps
 * them in step).
 */
public final class ApiRouter {
  /** A route of the API: method and path template in OpenAPI form. */
  public record Endpoint(HttpMethod method, String path) {}

  /** The API's routes (Vert.x form ":name" is written "{name}" here, as in OpenAPI). */
  public static final List<Endpoint> ROUTES = List.of(
      new Endpoint(HttpMethod.GET, "/health/live"),
      new Endpoint(HttpMethod.GET, "/health/ready"),
      new Endpoint(HttpMethod.GET, "/metrics"),
      new Endpoint(HttpMethod.GET, "/openapi.json"),
      new Endpoint(HttpMethod.POST, "/v1/classify/{task}"),
      new Endpoint(HttpMethod.POST, "/v1/cameras/{cameraId}/frames"),
      new Endpoint(HttpMethod.GET, "/v1/cameras"),
      new Endpoint(HttpMethod.GET, "/v1/cameras/{cameraId}"),
      new Endpoint(HttpMethod.GET, "/v1/models"),
      new Endpoint(HttpMethod.GET, "/v1/models/{name}"),
      new Endpoint(HttpMethod.POST, "/v1/keys"),
      new Endpoint(HttpMethod.GET, "/v1/keys"),
      new Endpoint(HttpMethod.DELETE, "/v1/keys/{name}"),
      new Endpoint(HttpMethod.GET, "/v1/review/session"),
      new Endpoint(HttpMethod.GET, "/v1/flags/counts"),
      new Endpoint(HttpMethod.GET, "/v1/flags/recent"),
      new Endpoint(HttpMethod.POST, "/v1/flags/review"),
      new Endpoint(HttpMethod.GET, "/v1/flags"),
      new Endpoint(HttpMethod.POST, "/v1/flags/{frameId}/review"),
      new Endpoint(HttpMethod.GET, "/v1/frames/{frameId}"),
      new Endpoint(HttpMethod.GET, "/v1/frames/{frameId}/image"),
      new Endpoint(HttpMethod.GET, "/v1/frames/{frameId}/thumbnail"),
      new Endpoint(HttpMethod.GET, "/v1/reviews"),
      new Endpoint(HttpMethod.POST, "/v1/batch"),
      new Endpoint(HttpMethod.GET, "/v1/batch"),
      new Endpoint(HttpMethod.GET, "/v1/batch/{jobId}"),
      new Endpoint(HttpMethod.POST, "/v1/batch/{jobId}/cancel"),
      new Endpoint(HttpMethod.DELETE, "/v1/batch/{jobId}"),
      new Endpoint(HttpMethod.POST, "/v1/batch/{jobId}/resume"));

  /** What the routes need. */
  public record Services(ServerConfig config, Metrics metrics, Authenticator auth, HealthRoutes health,
      ClassifyRoutes classify, ModelRoutes models, FrameRoutes frames, CameraRoutes cameras, KeyRoutes keys, ReviewDeps review,
      BatchRoutes batch, Buffer openApi) {}

  private final Services s;
  private final List<Endpoint> mounted = new ArrayList<>();

  private ApiRouter(Services services) {
    this.s = services;
  }

  public static Router build(Vertx vertx, Services services) {
    return new ApiRouter(services).router(vertx);
  }

  private Router router(Vertx vertx) {
    ServerConfig config = s.config();
    FailureHandler failures = new FailureHandler();
    BodyHandler body = BodyHandler.create(config.uploadsDir().toString())
        .setBodyLimit(config.http().bodyLimitBytes())
        .setHandleFileUploads(true)
        .setDeleteUploadedFilesOnEnd(true)
        .setMergeFormAttributes(false);

    Router root = Router.router(vertx);
    root.route().handler(new RequestLog(s.metrics(), config.log().access()));
    root.route().handler(new BodyLimit(config.http().bodyLimitBytes()));
    root.route().handler(TimeoutHandler.create(config.http().requestTimeoutMs(), 503));
    // Bodies are read (up to the limit) before authentication: Vert.x orders body handling first.
    root.route().handler(body);

    // Review: the queue, frames, verdicts and the audit (reviewer or admin keys). Mounted before the
    // other areas so that its failure handler (bad ids and cursors are 400s there) sees its failures
    // before the catch-all operations area's.
    ReviewRoutes.mount(root, s.review());
    for (String endpoint : ReviewRoutes.ENDPOINTS) {
      String[] parts = endpoint.split(" ", 2);
      mounted.add(new Endpoint(HttpMethod.valueOf(parts[0]), parts[1]));
    }

    // Operations: no key needed (bind to loopback or a private network).
    Router ops = Router.router(vertx);
    add(ops, "", HttpMethod.GET, "/health/live", s.health()::live);
    add(ops, "", HttpMethod.GET, "/health/ready", s.health()::ready);
    add(ops, "", HttpMethod.GET, "/metrics", s.health()::metrics);
    add(ops, "", HttpMethod.GET, "/openapi.json",
        ctx -> ctx.response().putHeader("Content-Type", "application/json").end(s.openApi()));
    mount(root, "/*", ops, failures);

    // Sorting machines: the synchronous, lowest-latency path.
    Router sorting = Router.router(vertx);
    add(sorting, "/v1/classify", HttpMethod.POST, "/:task", s.auth().require(KeyRole.SORTER),
        s.classify()::classify);
    mount(root, "/v1/classify/*", sorting, failures);

    // Cameras: frames in (camera keys); health out (reviewers and admins).
    Router cameras = Router.router(vertx);
    add(cameras, "/v1/cameras", HttpMethod.POST, "/:cameraId/frames", s.auth().require(KeyRole.CAMERA),
        s.frames()::ingest);
    add(cameras, "/v1/cameras", HttpMethod.GET, "/", s.auth().require(KeyRole.REVIEWER), s.cameras()::list);
    add(cameras, "/v1/cameras", HttpMethod.GET, "/:cameraId", s.auth().require(KeyRole.REVIEWER),
        s.cameras()::get);
    mount(root, "/v1/cameras*", cameras, failures);


    // Models: any key.
    Router models = Router.router(vertx);
    add(models, "/v1/models", HttpMethod.GET, "/", s.auth().anyRole(), s.models()::list);
    add(models, "/v1/models", HttpMethod.GET, "/:name", s.auth().anyRole(), s.models()::get);
    mount(root, "/v1/models*", models, failures);

    // Keys: admin only.
    Router keys = Router.router(vertx);
    add(keys, "/v1/keys", HttpMethod.POST, "/", s.auth().require(), s.keys()::create);
    add(keys, "/v1/keys", HttpMethod.GET, "/", s.auth().require(), s.keys()::list);
    add(keys, "/v1/keys", HttpMethod.DELETE, "/:name", s.auth().require(), s.keys()::delete);
    mount(root, "/v1/keys*", keys, failures);

    // Batch jobs: admin only.
    s.batch().mount(root, s.auth().require(), body);
    for (String endpoint : BatchRoutes.PATHS) {
      String[] parts = endpoint.split(" ", 2);
      mounted.add(new Endpoint(HttpMethod.valueOf(parts[0]), parts[1]));
    }

    // The review page answers every other GET, so it comes after every API route.
    ReviewPage.mount(root);
    root.route().failureHandler(failures);
    root.errorHandler(404, failures);
    root.errorHandler(405, failures);
    if (!java.util.Set.copyOf(mounted).equals(java.util.Set.copyOf(ROUTES))) {
      throw new IllegalStateException("ApiRouter.ROUTES is out of step with the routes mounted: " + mounted);
    }
    return root;
  }

  @SafeVarargs
  private void add(Router area, String prefix, HttpMethod method, String path, Handler<RoutingContext>... handlers) {
    String template = prefix + (path.equals("/") ? "" : path);
    var route = area.route(method, path).handler(RequestLog.route(template.replaceAll(":([A-Za-z]+)", "{$1}")));
    for (Handler<RoutingContext> h : handlers) {
      route.handler(h);
    }
    mounted.add(new Endpoint(method, template.replaceAll(":([A-Za-z]+)", "{$1}")));
  }

  private static void mount(Router root, String path, Router area, FailureHandler failures) {
    area.route().failureHandler(failures);
    root.route(path).subRouter(area);
  }
}
