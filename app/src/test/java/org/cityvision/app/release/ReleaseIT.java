package org.cityvision.app.release;

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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release as an operator installs it: {@code cityvision-VERSION.tar.gz}, unpacked away from the
 * source tree, runs {@code bin/cityvision serve} with only a Java runtime. A {@code mvn} first on
 * the PATH that records any call proves nothing builds; the node serves the shipped models and says
 * its version.
 */
class ReleaseIT {
  private static final String KEY = "release-test-admin-key-0123";

  @TempDir Path dir;

  @Test
  void unpackedReleaseServesTheShippedModelsWithoutMaven() throws Exception {
    Path target = Home.root().resolve("app/target");
    List<Path> tarballs;
    try (var files = Files.list(target)) {
      tarballs =
          files
              .filter(f -> f.getFileName().toString().matches("cityvision-.+\\.tar\\.gz"))
              .toList();
    }
    assumeTrue(
        tarballs.size() == 1,
        "skipped: no release tarball in " + target + " (built by mvn package)");
    Path tarball = tarballs.get(0);
    String version =
        tarball.getFileName().toString().replaceAll("^cityvision-(.+)\\.tar\\.gz$", "$1");

    Path install = Files.createDirectories(dir.resolve("opt"));
    Process untar =
        new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", install.toString())
            .inheritIO()
            .start();
    assertTrue(untar.waitFor(120, TimeUnit.SECONDS) && untar.exitValue() == 0, "tar failed");
    Path home = install.resolve("cityvision-" + version);
    for (String part :
        List.of(
            "bin/cityvision",
            "lib/app-" + version + ".jar",
            "lib/serving-" + version + ".jar",
            "lib/embedded-s3-" + version + ".jar",
            "models/waste/model.json",
            "models/urban/model.json",
            "deploy/cityvision.service",
            "deploy/cityvision.example.json",
            "deploy/prometheus/cityvision-alerts.yml",
            "deploy/grafana/cityvision-dashboard.json")) {
      assertTrue(Files.exists(home.resolve(part)), "the release holds " + part);
    }
    assertTrue(Files.isExecutable(home.resolve("bin/cityvision")));

    Path fakeBin = Files.createDirectories(dir.resolve("fake-bin"));
    Path mavenCalled = dir.resolve("maven-called");
    Path mvn = fakeBin.resolve("mvn");
    Files.writeString(mvn, "#!/bin/sh\ntouch '" + mavenCalled + "'\nexit 99\n");
    assertTrue(mvn.toFile().setExecutable(true));
    String path = fakeBin + ":" + System.getenv("PATH");

    ProcessBuilder versionCommand =
        new ProcessBuilder(home.resolve("bin/cityvision").toString(), "--version")
            .directory(dir.toFile())
            .redirectErrorStream(true);
    clean(versionCommand, path);
    Process v = versionCommand.start();
    String printed = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(v.waitFor(120, TimeUnit.SECONDS) && v.exitValue() == 0, printed);
    assertTrue(printed.endsWith("cityvision " + version), "version from the build: " + printed);

    Path stderr = dir.resolve("stderr.txt");
    ProcessBuilder serve =
        new ProcessBuilder(
                home.resolve("bin/cityvision").toString(),
                "serve",
                "--port",
                "0",
                "--data",
                dir.resolve("data").toString())
            .directory(dir.toFile())
            .redirectError(stderr.toFile());
    clean(serve, path);
    serve.environment().put("CITYVISION_ADMIN_KEY", KEY);
    serve.environment().put("CITYVISION_HTTP_WARM_UP_SECONDS", "2");
    serve.environment().put("CITYVISION_JAVA_OPTS", "-Xmx2g");
    Process process = serve.start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertTrue(
          line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"),
          "first stdout line: " + line + "; stderr: " + Files.readString(stderr));
      String base = line.substring("listening on ".length());
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> ready =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());
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
      JsonNode spec = new ObjectMapper().readTree(home.resolve("models/waste/model.json").toFile());
      assertEquals(
          spec.get("version").asText(),
          new ObjectMapper().readTree(answer.body()).get("version").asText());

      process.toHandle().destroy();
      assertTrue(
          process.waitFor(60, TimeUnit.SECONDS), "serve did not stop within 60 s of SIGTERM");
    } finally {
      process.destroyForcibly();
    }
    assertFalse(Files.exists(mavenCalled), "the release never calls Maven");
  }

  private static void clean(ProcessBuilder builder, String path) {
    builder.environment().put("PATH", path);
    builder.environment().remove("CITYVISION_HOME");
    builder.environment().remove("CITYVISION_CLASSPATH");
    builder.environment().remove("MAVEN_OPTS");
    builder
        .environment()
        .put("CITYVISION_CACHE_DIR", builder.directory().toPath().resolve("cache").toString());
  }
}
