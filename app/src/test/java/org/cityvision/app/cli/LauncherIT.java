package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command exactly as users run it: the {@code ./cityvision} launcher (after
 * {@code package} built the jar it runs, hence an integration test) starts {@code serve} with the
 * shipped models, warms up, prints one {@code listening on} line, classifies, keeps libtorch's
 * per-convolution NNPACK warning out of stderr while the JSON logs pass, and shuts down gracefully
 * on SIGTERM (the filter in front of stderr ignores the signal, so the shutdown's log lines still
 * arrive).
 */
class LauncherIT {
  private static final String KEY = "launcher-test-admin-key-0123";

  @TempDir Path data;

  @Test
  void launcherServesFiltersTheNnpackNoiseAndStopsGracefully() throws Exception {
    Path home = Home.root();
    Path launcher = home.resolve("cityvision");
    assumeTrue(
        Files.isExecutable(launcher)
            && Files.isRegularFile(home.resolve("app/target/cityvision.jar")),
        "skipped: no launcher or no packaged jar under " + home);
    assumeTrue(
        Files.isRegularFile(home.resolve("models/waste/model.json"))
            && Files.isRegularFile(home.resolve("models/urban/model.json")),
        "skipped: the shipped models are not at " + home);
    Path stderr = data.resolve("stderr.txt");
    ProcessBuilder builder =
        new ProcessBuilder(
                launcher.toString(),
                "serve",
                "--port",
                "0",
                "--data",
                data.resolve("node").toString())
            .redirectError(stderr.toFile());
    builder.environment().put("CITYVISION_SKIP_BUILD", "true");
    builder.environment().put("CITYVISION_JAVA_OPTS", "-Xmx2g");
    builder.environment().put("CITYVISION_ADMIN_KEY", KEY);
    builder.environment().put("CITYVISION_HTTP_WARM_UP_SECONDS", "3");
    builder.environment().remove("CITYVISION_RAW_STDERR");
    Process process = builder.start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = ProcessLines.next(out, 150);
      assertTrue(
          line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"),
          "first stdout line: " + line + "; stderr: " + Files.readString(stderr));
      String base = line.substring("listening on ".length());

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/classify/waste"))
                  .header("Authorization", "Bearer " + KEY)
                  .header("Content-Type", "image/jpeg")
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(SyntheticScene.jpeg(512, 384, 5, 90)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, answer.statusCode(), answer.body());

      process.toHandle().destroy();
      assertTrue(
          process.waitFor(60, TimeUnit.SECONDS), "serve did not stop within 60 s of SIGTERM");
      // The filter writes the last lines after the JVM has gone: wait for the shutdown's line.
      String log = "";
      for (long end = System.nanoTime() + 10_000_000_000L;
          System.nanoTime() < end;
          Thread.sleep(100)) {
        log = Files.readString(stderr);
        if (log.contains("\"event\":\"server_stopped\"")) {
          break;
        }
      }
      assertTrue(
          log.contains("\"event\":\"server_stopped\""),
          "graceful shutdown logged through the filter: " + log);
      Matcher warm = Pattern.compile("\"warm_up_done\".*\"classified\":(\\d+)").matcher(log);
      assertTrue(
          warm.find() && Long.parseLong(warm.group(1)) > 0,
          "the warm-up ran forward passes, each of which makes libtorch log the NNPACK warning: "
              + log);
      assertFalse(
          log.contains("NNPACK"), "the launcher filters libtorch's NNPACK warning out:\n" + log);
    } finally {
      process.destroyForcibly();
    }
  }
}
