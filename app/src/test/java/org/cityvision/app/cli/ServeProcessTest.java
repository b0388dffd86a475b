package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command as a real process: {@code serve} with the shipped models warms up,
 * then prints exactly one {@code listening on} line on stdout once ready, answers, and exits
 * cleanly on SIGTERM.
 */
class ServeProcessTest {
  @TempDir Path data;

  @Test
  void servePrintsOneListeningLineAnswersAndStopsOnSigterm() throws Exception {
    Path home = Home.root();
    assumeTrue(
        Files.isRegularFile(home.resolve("models/waste/model.json"))
            && Files.isRegularFile(home.resolve("models/urban/model.json")),
        "skipped: the shipped models are not at " + home);
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "-Dai.djl.offline=true",
                "-Dcityvision.home=" + home,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--port",
                "0",
                "--data",
                data.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(data.resolve("stderr.txt").toFile());
    builder.environment().put("OPT_OUT_TRACKING", "true");
    builder.environment().put("ONEDNN_MAX_CPU_ISA", "AVX2");
    builder.environment().put("CITYVISION_ADMIN_KEY", "process-test-admin-key-0123");
    // The start-up warm-up runs as in production, shorter (the default is 20 s).
    builder.environment().put("CITYVISION_HTTP_WARM_UP_SECONDS", "3");
    Process process = builder.start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = ProcessLines.next(out, 150);
      assertTrue(
          line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"),
          "first stdout line: "
              + line
              + "; stderr: "
              + Files.readString(data.resolve("stderr.txt")));
      String base = line.substring("listening on ".length());
      String log = Files.readString(data.resolve("stderr.txt"));
      Matcher warm =
          Pattern.compile(
                  "\"warm_up_done\".*\"requests\":(\\d+),\"classified\":(\\d+),\"unexpected\":(\\d+)")
              .matcher(log);
      assertTrue(warm.find(), "the warm-up ends before the listening line: " + log);
      assertTrue(
          Long.parseLong(warm.group(1)) > 100 && Long.parseLong(warm.group(2)) > 0, warm.group());
      assertEquals("0", warm.group(3), "warm-up answers other than expected: " + log);

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> ready =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());
      HttpResponse<String> models =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                  .header("Authorization", "Bearer process-test-admin-key-0123")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, models.statusCode(), models.body());
      assertTrue(
          models.body().contains("\"waste\"") && models.body().contains("\"urban\""),
          models.body());

      // SIGTERM through the handle: Process.destroy() would also close our end of its stdout.
      process.toHandle().destroy();
      assertTrue(
          process.waitFor(60, TimeUnit.SECONDS), "serve did not stop within 60 s of SIGTERM");
      StringBuilder rest = new StringBuilder();
      for (String more; (more = out.readLine()) != null; ) {
        rest.append(more).append('\n');
      }
      assertEquals("", rest.toString().strip(), "stdout holds only the listening line");
    } finally {
      process.destroyForcibly();
    }
  }
}
