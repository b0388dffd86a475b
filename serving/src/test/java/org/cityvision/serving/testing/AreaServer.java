package org.cityvision.serving.testing;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.serving.ApiRouter;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.auth.RateLimiter;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.metrics.Metrics;

/**
 * Some areas of the API behind the real {@link ApiRouter} (request ids, body limit, the one failure
 * handler, metrics labels) and the real {@link Authenticator} over the keys in {@code store}, on a
 * real HTTP server at 127.0.0.1 port 0: the API without models or a whole node. Closing it closes
 * the server and its auth worker; the caller owns the store and {@code vertx}.
 */
public final class AreaServer implements AutoCloseable {
  private final HttpServer server;
  private final WorkerExecutor authIo;

  private AreaServer(HttpServer server, WorkerExecutor authIo) {
    this.server = server;
    this.authIo = authIo;
  }

  /**
   * Starts a server over {@code areas}; keys are read from {@code store} now and again whenever an
   * unknown key is presented.
   *
   * @param data where request uploads go
   */
  public static AreaServer start(Vertx vertx, FrameStore store, Path data, List<ApiArea> areas)
      throws Exception {
    ApiKeys keys = new ApiKeys(store, Clock.systemUTC());
    keys.reload();
    Metrics metrics = new Metrics();
    WorkerExecutor authIo = vertx.createSharedWorkerExecutor("area-server-auth", 2);
    Authenticator auth = new Authenticator(keys, new RateLimiter(0, 1), authIo, metrics);
    ApiRouter api = new ApiRouter(areas);
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(api.router(vertx, ServingFixture.config(data), metrics, auth))
            .listen(0, "127.0.0.1")
            .await(30, TimeUnit.SECONDS);
    return new AreaServer(server, authIo);
  }

  public URI base() {
    return URI.create("http://127.0.0.1:" + server.actualPort());
  }

  @Override
  public void close() throws Exception {
    try {
      server.close().await(30, TimeUnit.SECONDS);
    } finally {
      authIo.close().await(30, TimeUnit.SECONDS);
    }
  }
}
