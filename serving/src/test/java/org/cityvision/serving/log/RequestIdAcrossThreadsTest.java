package org.cityvision.serving.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.cityvision.core.testing.EmbeddedStore;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.testing.AreaServer;
import org.cityvision.serving.testing.LogLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request id follows a request's code across threads (a blocking task on a worker, the
 * continuation back on the event loop) and reaches the failure handler's {@code request_failed}
 * line, behind the real router and failure handler on a real HTTP server.
 */
class RequestIdAcrossThreadsTest {
  @TempDir Path data;

  @Test
  void aRequestFailingAfterAWorkerHopLogsEveryLineUnderTheIdItsClientSees() throws Exception {
    Vertx vertx = Vertx.vertx();
    ApiArea area =
        new ApiArea("log-test")
            .add(
                HttpMethod.GET,
                "/log-test/fail",
                Access.OPEN,
                ctx ->
                    vertx
                        .executeBlocking(
                            () -> {
                              JsonLog.get()
                                  .info(
                                      "log_test_on_worker",
                                      "thread",
                                      Thread.currentThread().getName());
                              return "done";
                            },
                            false)
                        .onComplete(
                            done -> {
                              JsonLog.get().info("log_test_back_on_event_loop");
                              ctx.fail(
                                  new IllegalStateException(
                                      "log test: a defect after a worker hop"));
                            }));
    List<JsonNode> lines;
    String id;
    int status;
    String body;
    try (EmbeddedStore store = EmbeddedStore.open(data);
        AreaServer server = AreaServer.start(vertx, store.store(), data, List.of(area));
        StderrCapture err = new StderrCapture()) {
      HttpResponse<String> answer =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(server.base() + "/log-test/fail")).build(),
                  HttpResponse.BodyHandlers.ofString());
      status = answer.statusCode();
      body = answer.body();
      id = answer.headers().firstValue("X-Request-Id").orElseThrow();
      lines = err.lines();
    } finally {
      vertx.close().await();
    }
    assertEquals(500, status, body);
    assertTrue(body.contains("\"requestId\":\"" + id + "\"") && !body.contains("a defect"), body);
    JsonNode worker = one(lines, "log_test_on_worker");
    assertTrue(
        worker.path("thread").asText().startsWith("vert.x-worker-thread"), worker.toString());
    for (JsonNode line :
        List.of(worker, one(lines, "log_test_back_on_event_loop"), one(lines, "request_failed"))) {
      assertEquals(
          id,
          line.path("requestId").asText(),
          "the line carries the response's X-Request-Id: " + line);
    }
    JsonNode failed = one(lines, "request_failed");
    assertEquals("ERROR", failed.path("level").asText());
    assertEquals("/log-test/fail", failed.path("route").asText(), failed.toString());
    assertTrue(
        failed
            .path("stack")
            .asText()
            .startsWith("java.lang.IllegalStateException: log test: a defect after a worker hop"),
        failed.toString());
  }

  private static JsonNode one(List<JsonNode> lines, String event) {
    List<JsonNode> found = LogLines.events(lines, event);
    assertEquals(1, found.size(), event + " in " + lines);
    return found.get(0);
  }
}
