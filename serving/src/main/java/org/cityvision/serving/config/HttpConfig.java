package org.cityvision.serving.config;

/**
 * The HTTP listener.
 *
 * @param host interface to bind; loopback by default, so exposing the server is a decision
 * @param port 0 picks any free port
 * @param bodyLimitBytes largest request body; larger ones get 413 before they are read
 * @param maxHeaderBytes largest header block; larger ones get 431
 * @param requestTimeoutMs a request still running after this gets 503 {@code timeout}
 * @param shutdownGraceMs how long a shutdown waits for requests in flight
 * @param eventLoops HTTP verticle instances (one event loop each)
 * @param warmUpSeconds how long a starting node drives its own request paths on loopback before it
 *     reports ready, so that the JIT compiles them before real traffic arrives (see {@code
 *     docs/SERVING.md}); 0 turns the warm-up off
 */
public record HttpConfig(
    String host,
    int port,
    long bodyLimitBytes,
    int maxHeaderBytes,
    long requestTimeoutMs,
    long shutdownGraceMs,
    int eventLoops,
    double warmUpSeconds) {
  public HttpConfig {
    host = Bounds.requireText("http.host", host);
    Bounds.require("http.port", port, 0, 65535);
    Bounds.require("http.bodyLimitBytes", bodyLimitBytes, 1024, 1L << 30);
    Bounds.require("http.maxHeaderBytes", maxHeaderBytes, 1024, 1 << 20);
    Bounds.require("http.requestTimeoutMs", requestTimeoutMs, 100, 600_000);
    Bounds.require("http.shutdownGraceMs", shutdownGraceMs, 0, 600_000);
    Bounds.require("http.eventLoops", eventLoops, 1, 64);
    if (!(warmUpSeconds >= 0 && warmUpSeconds <= 600)) {
      throw new IllegalArgumentException(
          "http.warmUpSeconds must be in 0..600, got " + warmUpSeconds);
    }
  }

  /** This listener with another host and port. */
  public HttpConfig withAddress(String newHost, int newPort) {
    return new HttpConfig(
        newHost,
        newPort,
        bodyLimitBytes,
        maxHeaderBytes,
        requestTimeoutMs,
        shutdownGraceMs,
        eventLoops,
        warmUpSeconds);
  }

  /** This listener with another warm-up time. */
  public HttpConfig withWarmUpSeconds(double seconds) {
    return new HttpConfig(
        host,
        port,
        bodyLimitBytes,
        maxHeaderBytes,
        requestTimeoutMs,
        shutdownGraceMs,
        eventLoops,
        seconds);
  }

  static HttpConfig defaults() {
    return new HttpConfig("127.0.0.1", 8080, 10L * 1024 * 1024, 16 * 1024, 30_000, 20_000, 1, 20);
  }
}
