package org.cityvision.serving;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.serving.inference.ServedModel;
import org.cityvision.serving.ingest.FrameRoutes;
import org.cityvision.serving.log.JsonLog;

/**
 * The start-up warm-up: before a node reports ready it sends requests to itself on loopback for a
 * set time, so that the JIT compiles the request paths (Netty, Vert.x Web, authentication, the
 * handlers, the JSON answers) while no client is waiting.
 *
 * <p>Why: the heavy work of a request is native (decoding, the forward pass), so its Java path runs
 * only ~100 times a second per node, and the C2 compiler reaches that path's methods only after
 * minutes of traffic. On a small machine each C2 compilation (50-360 ms of a core) then lands in
 * the middle of live traffic and makes a latency spike (docs/SERVING.md). The warm-up brings those
 * compilations forward: cheap requests (an image that is not one, the model list) run at thousands
 * a second and take the shared HTTP path past C2's thresholds in seconds; real classifications of
 * synthetic images, one stream per inference worker, run the success path with the same branches as
 * production traffic, so that the profile C2 compiles from is not only the error path's.
 *
 * <p>The requests carry an internal key ({@code ApiKeys#internalKey}): never rate-limited, left out
 * of the request metrics and the access log, revoked when the warm-up ends. Nothing is stored:
 * camera requests carry bodies that are not images and are refused before storage. The classifiers'
 * own counters (passes, forward time) do count the warm-up's passes.
 */
public final class WarmUp {
  /**
   * A request without an answer by then fails, and its stream ends (the warm-up never hangs a
   * start).
   */
  private static final long REQUEST_TIMEOUT_MS = 30_000;

  /** Streams sending cheap requests at once: enough to keep the event loop busy. */
  private static final int CHEAP_STREAMS = 4;

  /** Width and height of the synthetic images: a sorting machine's photo and a camera frame. */
  private static final int[] PHOTO = {512, 384};

  private static final int[] FRAME = {1920, 1080};

  /**
   * What a warm-up did.
   *
   * @param seconds how long it ran
   * @param requests requests answered
   * @param classified of which real classifications (200)
   * @param unexpected answers with another status than expected, or failed requests: a warm-up
   *     problem, logged, not fatal
   */
  public record Report(double seconds, long requests, long classified, long unexpected) {
    /** No warm-up ran. */
    public static final Report NONE = new Report(0, 0, 0, 0);
  }

  /** One kind of request, with the statuses it may get. */
  private record Shape(
      HttpMethod method,
      String uri,
      String contentType,
      Buffer body,
      Set<Integer> expected,
      boolean classifies) {}

  private final HttpClientAgent client;
  private final String host;
  private final int port;
  private final String authorization;
  private final long deadline;
  private final BooleanSupplier stop;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong classified = new AtomicLong();
  private final AtomicLong unexpected = new AtomicLong();
  private volatile String firstUnexpected;

  private WarmUp(
      Vertx vertx,
      String host,
      int port,
      String key,
      double seconds,
      BooleanSupplier stop,
      int connections) {
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
            new PoolOptions().setHttp1MaxSize(connections));
    this.host = host;
    this.port = port;
    this.authorization = "Bearer " + key;
    this.deadline = System.nanoTime() + (long) (seconds * 1e9);
    this.stop = stop;
  }

  /**
   * Runs the warm-up against a node's listener.
   *
   * @param host the address the node listens on (a wildcard address is reached on loopback)
   * @param key an internal key admitted to every route used (an admin-role key)
   * @param models the loaded models: each gets {@code streamsPerModel} streams of real
   *     classifications
   * @param stop checked before each request: the node is shutting down
   * @param blocking encodes the synthetic images (off the event loop)
   */
  static Future<Report> run(
      Vertx vertx,
      String host,
      int port,
      String key,
      double seconds,
      List<ServedModel> models,
      int streamsPerModel,
      BooleanSupplier stop,
      WorkerExecutor blocking) {
    long t0 = System.nanoTime();
    String target =
        host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1" : host;
    return blocking
        .executeBlocking(() -> realShapes(models), false)
        .compose(
            real -> {
              List<Shape> cheap = cheapShapes(models);
              int streams = real.size() * streamsPerModel + CHEAP_STREAMS;
              WarmUp w = new WarmUp(vertx, target, port, key, seconds, stop, streams);
              List<Future<Void>> done = new ArrayList<>();
              for (Shape shape : real) {
                for (int i = 0; i < streamsPerModel; i++) {
                  done.add(w.stream(List.of(shape)));
                }
              }
              for (int i = 0; i < CHEAP_STREAMS; i++) {
                List<Shape> rotated = new ArrayList<>(cheap);
                Collections.rotate(rotated, i);
                done.add(w.stream(rotated));
              }
              return Future.join(done)
                  .transform(
                      ar ->
                          w.client
                              .close()
                              .transform(
                                  v -> {
                                    Report r =
                                        new Report(
                                            (System.nanoTime() - t0) / 1e9,
                                            w.requests.get(),
                                            w.classified.get(),
                                            w.unexpected.get());
                                    if (r.unexpected() > 0) {
                                      JsonLog.get()
                                          .warn(
                                              "warm_up_unexpected_answers",
                                              "count",
                                              r.unexpected(),
                                              "first",
                                              w.firstUnexpected);
                                    }
                                    return Future.succeededFuture(r);
                                  }));
            });
  }

  /**
   * A classification of a synthetic image per model: a photo for sorting models, a frame for the
   * camera model.
   */
  private static List<Shape> realShapes(List<ServedModel> models) {
    List<Shape> shapes = new ArrayList<>();
    long seed = 7;
    for (ServedModel m : models) {
      int[] size = m.task().equals(FrameRoutes.TASK) ? FRAME : PHOTO;
      Buffer jpeg = Buffer.buffer(SyntheticScene.jpeg(size[0], size[1], seed++, 90));
      shapes.add(
          new Shape(
              HttpMethod.POST, "/v1/classify/" + m.task(), "image/jpeg", jpeg, Set.of(200), true));
    }
    return shapes;
  }

  /**
   * Requests that cost the node little but run its whole HTTP path: bodies that are not images (415
   * after the body is read and the key checked; a camera may also be unknown, 403) and the model
   * list.
   */
  private static List<Shape> cheapShapes(List<ServedModel> models) {
    Buffer notAnImage =
        Buffer.buffer(
            "this is not an image, only a warm-up of the request path"
                .getBytes(StandardCharsets.US_ASCII));
    List<Shape> shapes = new ArrayList<>();
    shapes.add(new Shape(HttpMethod.GET, "/v1/models", null, null, Set.of(200), false));
    for (ServedModel m : models) {
      shapes.add(
          new Shape(
              HttpMethod.POST,
              "/v1/classify/" + m.task(),
              "image/jpeg",
              notAnImage,
              Set.of(415),
              false));
      shapes.add(
          new Shape(
              HttpMethod.GET, "/v1/models/" + m.spec().name(), null, null, Set.of(200), false));
    }
    if (models.stream().anyMatch(m -> m.task().equals(FrameRoutes.TASK))) {
      shapes.add(
          new Shape(
              HttpMethod.POST,
              "/v1/cameras/node-warm-up/frames",
              "image/jpeg",
              notAnImage,
              Set.of(403, 415),
              false));
    }
    return shapes;
  }

  /** Sends the shapes in turn, one request at a time, until the deadline or the stop. */
  private Future<Void> stream(List<Shape> shapes) {
    Promise<Void> done = Promise.promise();
    next(shapes, 0, done);
    return done.future();
  }

  private void next(List<Shape> shapes, int i, Promise<Void> done) {
    if (System.nanoTime() >= deadline || stop.getAsBoolean()) {
      done.complete();
      return;
    }
    Shape shape = shapes.get(i % shapes.size());
    client
        .request(
            new RequestOptions()
                .setMethod(shape.method())
                .setHost(host)
                .setPort(port)
                .setURI(shape.uri())
                .setConnectTimeout(REQUEST_TIMEOUT_MS)
                .setTimeout(REQUEST_TIMEOUT_MS))
        .compose(
            req -> {
              req.putHeader("Authorization", authorization);
              if (shape.contentType() != null) {
                req.putHeader("Content-Type", shape.contentType());
              }
              return shape.body() == null ? req.send() : req.send(shape.body());
            })
        .compose(resp -> resp.body().map(body -> resp.statusCode()))
        .onComplete(
            ar -> {
              requests.incrementAndGet();
              if (ar.succeeded() && shape.expected().contains(ar.result())) {
                if (shape.classifies()) {
                  classified.incrementAndGet();
                }
              } else {
                unexpected.incrementAndGet();
                if (firstUnexpected == null) {
                  firstUnexpected =
                      shape.method()
                          + " "
                          + shape.uri()
                          + ": "
                          + (ar.succeeded() ? "status " + ar.result() : String.valueOf(ar.cause()));
                }
              }
              if (ar.failed()) {
                // No answer at all (the listener is closing, the connection broke): this stream
                // ends.
                done.complete();
                return;
              }
              next(shapes, i + 1, done);
            });
  }
}
