package org.cityvision.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The benchmark's load generator against a real Vert.x server on loopback that answers after 20 ms:
 * 201 for most bodies, 503 for the body "busy", and records what arrived. Counts and latencies must
 * match what the server did, in this JVM and in a child process.
 */
class LoadGeneratorTest {
  static final long DELAY_MS = 20;
  static final List<byte[]> BODIES = List.of(bytes("a"), bytes("b"), bytes("busy"), bytes("c"));

  static Vertx vertx;
  static HttpServer server;
  static final AtomicLong received = new AtomicLong();
  static final ConcurrentHashMap<String, String> authorizations = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              received.incrementAndGet();
                              authorizations.put(
                                  req.getHeader("Authorization")
                                      + " "
                                      + req.getHeader("Content-Type")
                                      + " "
                                      + req.path(),
                                  "");
                              int status = body.toString().equals("busy") ? 503 : 201;
                              vertx.setTimer(
                                  DELAY_MS,
                                  t -> {
                                    if (req.path().equals("/chunked")) {
                                      req.response().setStatusCode(status).setChunked(true);
                                      req.response().write("{\"a\":");
                                      req.response().write("1");
                                      req.response().end("}");
                                    } else if (req.path().equals("/close")) {
                                      req.response()
                                          .setStatusCode(status)
                                          .putHeader("Connection", "close")
                                          .end("{}");
                                    } else {
                                      req.response().setStatusCode(status).end("{}");
                                    }
                                  });
                            }))
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static LoadGenerator.Target target() {
    return new LoadGenerator.Target(
        server.actualPort(), "/v1/classify/waste", "cvk_test", "image/jpeg", BODIES);
  }

  @Test
  void closedLoopKeepsTheConcurrencyAndCountsErrors() throws Exception {
    long before = received.get();
    LoadGenerator.Result r = LoadGenerator.run(target(), LoadGenerator.Load.closed(4, 0.3, 1.0));
    long sent = received.get() - before;
    // Four outstanding requests that each take at least 20 ms: at most 200 answers a second.
    assertTrue(
        r.ok() + r.errors() <= 4 * (1.3 * 1000 / DELAY_MS) + 4,
        "too many answers for the concurrency: " + r);
    assertTrue(r.ok() > 20, "closed loop made little progress: " + r);
    // One body in four is "busy" (503): the errors are a quarter of the measured answers, give or
    // take the edges.
    double share = r.errors() / (double) (r.ok() + r.errors());
    assertTrue(share > 0.2 && share < 0.3, "503 share " + share + " in " + r);
    assertEquals(
        sent, r.answeredAll(), "every request the server received was answered and counted");
    assertTrue(
        r.p50Ms() >= DELAY_MS && r.p99Ms() >= r.p50Ms() && r.maxMs() >= r.p99Ms(), r.toString());
    assertEquals(
        r.ok(), r.rate(), r.ok() * 0.001 + 1e-9, "rate over a 1 s window equals the count");
    assertEquals(
        1,
        authorizations.keySet().stream()
            .filter(k -> k.equals("Bearer cvk_test image/jpeg /v1/classify/waste"))
            .count());
  }

  @Test
  void openLoopSendsAtTheRateWhateverTheAnswers() throws Exception {
    long before = received.get();
    // 100 sends a second for 0.5 s of warm-up and 1 s measured: 150 in all, 100 of them counted.
    LoadGenerator.Result r = LoadGenerator.run(target(), LoadGenerator.Load.open(100, 0.5, 1.0));
    assertEquals(150, received.get() - before);
    assertEquals(150, r.answeredAll());
    assertEquals(100, r.ok() + r.errors());
    assertEquals(25, r.errors(), "sends 50..149 take each body in turn: 25 of them are 'busy'");
    assertTrue(r.p50Ms() >= DELAY_MS, r.toString());
  }

  @Test
  void runsInAChildProcessAndReportsItsCpu() throws Exception {
    Path files = LoadGenerator.writeBodies(BODIES);
    long before = received.get();
    LoadGenerator.Result r =
        LoadGenerator.inChildProcess(target(), files, LoadGenerator.Load.open(50, 0.5, 1.0));
    assertEquals(75, received.get() - before);
    assertEquals(75, r.answeredAll());
    assertEquals(50, r.ok() + r.errors());
    assertTrue(r.clientCpuMsPerRequest() > 0, "the child measures its own CPU: " + r);
    assertTrue(r.p50Ms() >= DELAY_MS, r.toString());
    LoadGenerator.deleteBodies(files);
    assertTrue(!Files.exists(files), "the bodies folder is gone");
  }

  @Test
  void readsChunkedAnswersAndReconnectsAfterConnectionClose() throws Exception {
    for (String path : List.of("/chunked", "/close")) {
      long before = received.get();
      var target =
          new LoadGenerator.Target(
              server.actualPort(), path, "cvk_test", "image/jpeg", List.of(bytes("a")));
      LoadGenerator.Result r = LoadGenerator.run(target, LoadGenerator.Load.closed(2, 0.1, 0.5));
      assertEquals(0, r.errors(), path + ": " + r);
      assertTrue(r.ok() > 10, path + ": " + r);
      assertEquals(received.get() - before, r.answeredAll(), path);
    }
  }

  @Test
  void refusesLoadsOutOfBounds() {
    assertThrowsIllegal(() -> new LoadGenerator.Load(4, 10, 1, 1));
    assertThrowsIllegal(() -> new LoadGenerator.Load(0, 0, 1, 1));
    assertThrowsIllegal(() -> LoadGenerator.Load.closed(4, 1, 0));
    assertThrowsIllegal(() -> LoadGenerator.Load.open(10, 1, 601));
    assertThrowsIllegal(() -> new LoadGenerator.Target(1, "/", "k", "image/jpeg", List.of()));
  }

  private static void assertThrowsIllegal(Executable e) {
    Assertions.assertThrows(IllegalArgumentException.class, e);
  }
}
