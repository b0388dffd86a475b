package org.cityvision.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.Task;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.inference.ServedModel;

/**
 * Turns a shadow run of the waste model on and off on a benchmark node through the API ({@code
 * POST} and {@code DELETE /v1/models/waste/candidates/{id}/shadow}), and waits until the node has
 * loaded or unloaded the candidate ({@code /health/ready}). The candidate is a copy of the live
 * package under another version, put into the node's store as a finished candidate. Owns nothing
 * but the run: closing ends it.
 */
final class ShadowSwitch implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "cbench-shadow";
  private static final Duration WAIT = Duration.ofSeconds(120);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String base;
  private final String key;
  private boolean on;

  private ShadowSwitch(int port, String key) {
    this.base = "http://127.0.0.1:" + port;
    this.key = key;
  }

  /** Stores the candidate (a copy of the live waste package in {@code dir}) on the node's store. */
  static ShadowSwitch of(ServingNode node, String adminKey, Path dir) throws Exception {
    ServedModel live = node.models().task(Task.WASTE.id()).orElseThrow();
    try (var files = Files.list(live.pkg().dir())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    String version = live.version() + "-shadowbench";
    ModelPackage.writeSpec(dir, live.spec().withVersion(version));
    node.store().models().put(ModelPackage.read(dir), "bench");
    String now = Instant.now().toString();
    node.store()
        .models()
        .putCandidate(
            "waste",
            ID,
            JSON.createObjectNode()
                .put("id", ID)
                .put("model", "waste")
                .put("mode", "head")
                .put("state", "done")
                .put("liveVersion", live.version())
                .put("version", version)
                .put("createdAt", now)
                .put("updatedAt", now)
                .put("createdBy", "bench"));
    return new ShadowSwitch(node.port(), adminKey);
  }

  /** Starts the run at {@code rate}, or ends it for 0, and waits until the node follows. */
  void set(double rate) throws IOException, InterruptedException {
    if (rate > 0) {
      send("POST", "/v1/models/waste/candidates/" + ID + "/shadow", "{\"rate\": " + rate + "}");
      on = true;
    } else if (on) {
      send("DELETE", "/v1/models/waste/candidates/" + ID + "/shadow", null);
      on = false;
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      JsonNode shadow =
          JSON.readTree(send("GET", "/health/ready", null))
              .path("models")
              .path("waste")
              .path("shadow");
      boolean loaded = shadow.path("loaded").asBoolean(false);
      if (loaded == (rate > 0)) {
        return;
      }
      if (!shadow.path("error").isMissingNode() && !shadow.path("error").isNull()) {
        throw new IOException("the node cannot run the shadow: " + shadow.path("error").asText());
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "the node did not "
                + (rate > 0 ? "load" : "unload")
                + " the candidate within "
                + WAIT.toSeconds()
                + " s");
      }
      Thread.sleep(100);
    }
  }

  /** The run's comparisons as the store has them: compared, agreement, dropped. */
  String summary() throws IOException, InterruptedException {
    JsonNode s =
        JSON.readTree(send("GET", "/v1/models/waste/candidates/" + ID, null)).path("shadow");
    return s.path("compared").asLong()
        + " compared, agreement "
        + s.path("agreement").asText()
        + ", "
        + s.path("dropped").asLong()
        + " dropped (queue full), "
        + s.path("failed").asLong()
        + " failed";
  }

  private String send(String method, String path, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + key);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r =
        http.send(
            b.method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    set(0);
  }
}
