package org.cityvision.serving.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.LogConfig;
import org.cityvision.serving.testing.LogLines;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The log pipeline in-process, through the real Logback configuration ({@code logback.xml}): a real
 * node on port 0, our events and other loggers' lines, java.util.logging, levels from the node
 * configuration, the ring buffer's drops.
 */
class JsonLogPipelineTest {
  @TempDir Path data;

  @AfterEach
  void defaultLevels() {
    LogLevels.apply("info", Map.of());
  }

  @Test
  void accessLinesCarryTheRequestIdOfTheirOwnRequestAndNothingElseInheritsIt() throws Exception {
    ServingNode node =
        ServingFixture.start(ServingFixture.config(data).withLog(new LogConfig(true)));
    List<JsonNode> lines;
    Map<String, String> answered = new HashMap<>();
    String generated;
    try (StderrCapture err = new StderrCapture();
        TestClient client = new TestClient(node.port())) {
      List<String> sent = new ArrayList<>();
      List<Future<TestClient.Response>> answers = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        String id = "client-id-" + i;
        sent.add(id);
        // Concurrent requests on the node's event loops, authorised and refused.
        answers.add(
            client.async(
                HttpMethod.GET,
                i % 2 == 0 ? "/health/live" : "/v1/models",
                i % 4 == 1 ? ServingFixture.ADMIN_KEY : null,
                Map.of("X-Request-Id", id),
                null));
      }
      for (int i = 0; i < answers.size(); i++) {
        TestClient.Response r = TestClient.await(answers.get(i));
        answered.put(sent.get(i), r.headers().get("X-Request-Id"));
      }
      generated = client.get("/health/ready", null).headers().get("X-Request-Id");
      // On an event loop of the node, outside any request, and on a thread of our own.
      TestClient.await(
          node.vertx()
              .getOrCreateContext()
              .executeBlocking(
                  () -> {
                    JsonLog.get().info("outside_request_worker");
                    return null;
                  }));
      CountDownLatch ran = new CountDownLatch(1);
      node.vertx()
          .runOnContext(
              v -> {
                JsonLog.get().info("outside_request_event_loop");
                ran.countDown();
              });
      ran.await();
      JsonLog.get().info("outside_request_test_thread");
      lines = err.lines();
    } finally {
      ServingFixture.stop(node);
    }
    answered.forEach(
        (sentId, header) -> assertEquals(sentId, header, "X-Request-Id echoes the client's id"));

    List<JsonNode> access = LogLines.events(lines, "http_request");
    Map<String, List<JsonNode>> byId =
        access.stream().collect(Collectors.groupingBy(l -> l.path("requestId").asText()));
    Set<String> expected = new TreeSet<>(answered.keySet());
    expected.add(generated);
    assertEquals(
        expected,
        new TreeSet<>(byId.keySet()),
        "one access line per request, under its own id: " + access);
    byId.forEach((id, own) -> assertEquals(1, own.size(), "access lines for " + id + ": " + own));
    for (JsonNode line : access) {
      assertEquals(
          "org.cityvision.serving.http.RequestLog", line.path("logger").asText(), line.toString());
      assertEquals("INFO", line.path("level").asText(), line.toString());
      assertTrue(
          line.path("status").isInt() && line.path("ms").isNumber() && line.path("ok").isBoolean(),
          "numbers and booleans stay JSON numbers and booleans: " + line);
      String id = line.path("requestId").asText();
      if (id.startsWith("client-id-")) {
        int i = Integer.parseInt(id.substring("client-id-".length()));
        assertEquals(
            i % 4 == 3 ? 401 : 200,
            line.path("status").asInt(),
            "the line under request " + i + "'s id describes that request: " + line);
      }
    }
    for (String event :
        List.of(
            "outside_request_worker",
            "outside_request_event_loop",
            "outside_request_test_thread")) {
      List<JsonNode> found = LogLines.events(lines, event);
      assertEquals(1, found.size(), event + " in " + lines);
      assertFalse(
          found.get(0).has("requestId"), "no request in context, no request id: " + found.get(0));
    }
  }

  @Test
  void configuredLevelSilencesALoggerWhileItIsConfigured() throws Exception {
    ServingNode quiet =
        ServingFixture.start(
            ServingFixture.config(data.resolve("quiet"))
                .withLog(
                    new LogConfig(true, "info", Map.of("org.cityvision.serving.http", "off"))));
    List<JsonNode> silenced;
    try (StderrCapture err = new StderrCapture();
        TestClient client = new TestClient(quiet.port())) {
      assertEquals(200, client.get("/health/live", null).status());
      JsonLog.get().info("pipeline_test_still_logged");
      silenced = err.lines();
    } finally {
      ServingFixture.stop(quiet);
    }
    assertTrue(
        LogLines.events(silenced, "http_request").isEmpty(),
        "org.cityvision.serving.http is off: " + silenced);
    assertEquals(
        1,
        LogLines.events(silenced, "pipeline_test_still_logged").size(),
        "other loggers still log: " + silenced);

    ServingNode loud =
        ServingFixture.start(
            ServingFixture.config(data.resolve("loud")).withLog(new LogConfig(true)));
    List<JsonNode> logged;
    try (StderrCapture err = new StderrCapture();
        TestClient client = new TestClient(loud.port())) {
      assertEquals(200, client.get("/health/live", null).status());
      logged = err.lines();
    } finally {
      ServingFixture.stop(loud);
    }
    assertEquals(
        1,
        LogLines.events(logged, "http_request").size(),
        "a node configured without the override logs requests again: " + logged);
  }

  @Test
  void anErrorCarriesItsStackTraceAsOneStringField() {
    List<JsonNode> lines;
    try (StderrCapture err = new StderrCapture()) {
      JsonLog.get()
          .error(
              "pipeline_test_failure",
              new IllegalStateException("boom", new IOException("cause")),
              "frameId",
              "cam-1",
              "attempt",
              2,
              "path",
              Path.of("/tmp/x"));
      lines = err.lines();
    }
    List<JsonNode> found = LogLines.events(lines, "pipeline_test_failure");
    assertEquals(1, found.size(), lines.toString());
    JsonNode line = found.get(0);
    assertEquals("ERROR", line.path("level").asText());
    assertEquals(
        JsonLogPipelineTest.class.getName(),
        line.path("logger").asText(),
        "the calling class names the logger");
    assertEquals("pipeline_test_failure", line.path("message").asText());
    assertEquals("java.lang.IllegalStateException: boom", line.path("error").asText());
    assertEquals(2, line.path("attempt").asInt());
    assertEquals("/tmp/x", line.path("path").asText(), "other values are written as their string");
    String stack = line.path("stack").asText();
    assertTrue(stack.startsWith("java.lang.IllegalStateException: boom"), stack);
    assertTrue(
        stack.contains("at org.cityvision.serving.log.JsonLogPipelineTest")
            && stack.contains("Caused by: java.io.IOException: cause"),
        stack);
  }

  @Test
  void javaUtilLoggingAndPlainSlf4jLinesAreJsonLinesToo() {
    LogLevels.bridgeJavaUtilLogging();
    List<JsonNode> lines;
    try (StderrCapture err = new StderrCapture()) {
      Logger.getLogger("org.cityvision.test.jul").warning("a warning through java.util.logging");
      Logger.getLogger("org.cityvision.test.jul").fine("below the level: never written");
      LoggerFactory.getLogger("org.cityvision.test.slf4j").info("plain {} line", "slf4j");
      lines = err.lines();
    }
    JsonNode jul =
        lines.stream()
            .filter(l -> l.path("logger").asText().equals("org.cityvision.test.jul"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no java.util.logging line in " + lines));
    assertEquals("WARN", jul.path("level").asText());
    assertEquals("a warning through java.util.logging", jul.path("message").asText());
    assertEquals(
        1,
        lines.stream()
            .filter(l -> l.path("logger").asText().equals("org.cityvision.test.jul"))
            .count(),
        lines.toString());
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.path("logger").asText().equals("org.cityvision.test.slf4j")
                        && l.path("message").asText().equals("plain slf4j line")),
        lines.toString());
  }

  @Test
  void aFullRingBufferDropsAndCountsLinesInsteadOfBlockingTheCaller() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    OutputStream stuck =
        new OutputStream() {
          @Override
          public void write(int b) {
            awaitRelease();
          }

          @Override
          public void write(byte[] b, int off, int len) {
            awaitRelease();
          }

          private void awaitRelease() {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    long before = JsonLog.get().dropped();
    try (StderrCapture err = new StderrCapture(stuck)) {
      try {
        // The writer blocks on the first line; the callers must not.
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () -> {
              for (int i = 0; i < 40_000; i++) {
                JsonLog.get().info("pipeline_test_flood", "i", i);
              }
            });
      } finally {
        release.countDown();
      }
    }
    long dropped = JsonLog.get().dropped() - before;
    // 40,000 lines into a 16,384-slot buffer whose writer is stuck: at least 23,615 cannot fit.
    assertTrue(dropped >= 40_000 - 16_384 - 1 && dropped < 40_000, "dropped " + dropped);
  }
}
