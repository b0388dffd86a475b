package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.testing.LogLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log as an operator's log shipper sees it: {@code serve} and {@code classify} as real
 * processes, every stderr line one JSON object, a library's lines among them, request ids on the
 * access lines.
 */
class JsonLogProcessTest {
  /**
   * libtorch's native stderr (not a Java logger); the launcher filters it out (docs/SERVING.md).
   */
  private static final String NNPACK = "Could not initialize NNPACK!";

  @TempDir Path dir;

  private ProcessBuilder cityvision(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-Dai.djl.offline=true",
                "-Dcityvision.home=" + Home.root(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(dir.resolve("stderr.txt").toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("CITYVISION_"));
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.environment().put("ONEDNN_MAX_CPU_ISA", "AVX2");
    return builder;
  }

  private List<JsonNode> stderrLines() throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("stderr.txt"))) {
      if (!line.isEmpty() && !line.contains(NNPACK)) {
        lines.add(LogLines.parse(line));
      }
    }
    return lines;
  }

  @Test
  void serveWritesOnlyJsonLinesOnStderrWithLibrariesLinesAndRequestIds() throws Exception {
    Path config = dir.resolve("cityvision.json");
    // No models (no engine start), no warm-up: the embedded S3 server's Jetty at info is the
    // library.
    Files.writeString(
        config,
        """
        {"models": {"waste": "", "urban": ""}, "http": {"warmUpSeconds": 0}, "retention": {"enabled": false},
         "log": {"level": "info", "levels": {"org.gaul": "info"}}}
        """);
    Process process =
        cityvision(
                "serve",
                "--port",
                "0",
                "--data",
                dir.resolve("data").toString(),
                "--config",
                config.toString())
            .start();
    String ownId;
    String generatedId;
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = ProcessLines.next(out, 120);
      assertTrue(
          line != null && line.startsWith("listening on http://"),
          "first stdout line: "
              + line
              + "; stderr: "
              + Files.readString(dir.resolve("stderr.txt")));
      String base = line.substring("listening on ".length());
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> live =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/health/live"))
                  .header("X-Request-Id", "process-log-test-1")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      ownId = live.headers().firstValue("X-Request-Id").orElseThrow();
      assertEquals("process-log-test-1", ownId);
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(401, refused.statusCode(), refused.body());
      generatedId = refused.headers().firstValue("X-Request-Id").orElseThrow();
      assertTrue(refused.body().contains(generatedId), refused.body());

      process.toHandle().destroy();
      assertTrue(
          process.waitFor(60, TimeUnit.SECONDS), "serve did not stop within 60 s of SIGTERM");
    } finally {
      process.destroyForcibly();
    }
    List<JsonNode> lines = stderrLines();
    assertTrue(
        lines.stream()
            .anyMatch(
                l -> l.path("logger").asText().startsWith("org.gaul.shaded.org.eclipse.jetty")),
        "the embedded S3 server's Jetty lines are JSON lines: " + lines);
    JsonNode key =
        LogLines.events(lines, "admin_key_created").stream()
            .findFirst()
            .orElseThrow(() -> new AssertionError("no admin_key_created line: " + lines));
    assertTrue(
        key.path("key").asText().length() >= 16 && key.path("name").isTextual(), key.toString());
    List<JsonNode> access = LogLines.events(lines, "http_request");
    assertEquals(
        List.of(ownId, generatedId),
        access.stream().map(l -> l.path("requestId").asText()).toList(),
        "each access line carries its response's X-Request-Id: " + access);
    assertEquals(
        List.of(200, 401),
        access.stream().map(l -> l.path("status").asInt()).toList(),
        access.toString());
    assertEquals(
        1, LogLines.events(lines, "server_stopped").size(), "graceful stop logged: " + lines);
    for (JsonNode l : lines) {
      if (!"http_request".equals(l.path("event").asText())) {
        assertFalse(l.has("requestId"), "only request-scoped lines carry a request id: " + l);
      }
    }
  }

  @Test
  void classifyLogsJsonLinesOnStderrAndResultsOnStdout() throws Exception {
    assumeTrue(
        Files.isRegularFile(Home.root().resolve("models/waste/model.json")),
        "skipped: the shipped waste model is not at " + Home.root());
    Path image = dir.resolve("item.jpg");
    Files.write(image, SyntheticScene.jpeg(320, 240, 7, 90));
    Process process =
        cityvision("classify", "--task", "waste", "--json", image.toString())
            .redirectOutput(dir.resolve("stdout.txt").toFile())
            .start();
    assertTrue(process.waitFor(180, TimeUnit.SECONDS), "classify did not finish within 180 s");
    assertEquals(0, process.exitValue(), Files.readString(dir.resolve("stderr.txt")));
    List<String> results = Files.readAllLines(dir.resolve("stdout.txt"));
    assertEquals(1, results.size(), "one result line on stdout: " + results);
    JsonNode result = new ObjectMapper().readTree(results.get(0));
    assertTrue(
        result.path("label").isTextual() && result.path("score").isNumber(), result.toString());
    List<JsonNode> lines = stderrLines();
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.path("logger").asText().equals("org.cityvision.core.model.TorchRuntime")
                        && l.path("message")
                            .asText()
                            .startsWith("libtorch kernels: oneDNN capped at AVX2")),
        "the engine's start is logged as a JSON line: " + lines);
  }

  @Test
  void serveRefusesAnUnknownLogLevelNamingIt() throws Exception {
    Path config = dir.resolve("bad.json");
    Files.writeString(config, "{\"log\": {\"levels\": {\"ai.djl\": \"loud\"}}}");
    CliRun run =
        CliRun.of(
            "serve",
            "--port",
            "0",
            "--data",
            dir.resolve("data").toString(),
            "--config",
            config.toString());
    assertEquals(2, run.exit(), run.err());
    assertTrue(run.err().contains("log.levels.ai.djl") && run.err().contains("'loud'"), run.err());
  }
}
