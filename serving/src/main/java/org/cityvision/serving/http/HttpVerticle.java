package org.cityvision.serving.http;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.cityvision.serving.config.HttpConfig;

/**
 * Owns one HTTP server on one event loop. Stopping the verticle shuts the server down gracefully:
 * it stops accepting, lets requests in flight finish within the grace period, then closes.
 */
public final class HttpVerticle extends VerticleBase {
  private final HttpConfig config;
  private final int port;
  private final Function<Vertx, Router> routerFactory;
  private HttpServer server;

  /**
   * @param port the port to listen on (0 for any; instances after the first get the first's port)
   */
  public HttpVerticle(HttpConfig config, int port, Function<Vertx, Router> routerFactory) {
    this.config = config;
    this.port = port;
    this.routerFactory = routerFactory;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.host())
            .setPort(port)
            .setMaxHeaderSize(config.maxHeaderBytes())
            .setMaxInitialLineLength(8192)
            .setIdleTimeout((int) Math.max(1, config.requestTimeoutMs() * 2 / 1000))
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setCompressionSupported(false);
    Router router = routerFactory.apply(vertx);
    server =
        vertx
            .createHttpServer(options)
            .invalidRequestHandler(HttpVerticle::invalidRequest)
            .requestHandler(router);
    return server.listen();
  }

  /** The port this server listens on. */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return server == null
        ? Future.succeededFuture()
        : server.shutdown(config.shutdownGraceMs(), TimeUnit.MILLISECONDS);
  }

  /**
   * Requests HTTP decoding refused (oversized headers or request line, garbage): JSON like the
   * rest.
   */
  private static void invalidRequest(HttpServerRequest request) {
    var failure = request.decoderResult().cause();
    String message = failure == null ? "" : String.valueOf(failure.getMessage());
    ApiException error;
    if (failure instanceof TooLongFrameException && message.contains("header")) {
      error =
          new ApiException(
              431, "headers_too_large", "the request headers are larger than the limit");
    } else if (failure instanceof TooLongFrameException) {
      error = new ApiException(414, "uri_too_long", "the request line is longer than the limit");
    } else {
      error = new ApiException(400, "bad_request", "the request is not valid HTTP");
    }
    request.response().putHeader("Connection", "close");
    FailureHandler.write(request, error, "none");
  }
}
