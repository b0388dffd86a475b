package org.cityvision.serving.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.review.webhook.Webhook;
import org.cityvision.serving.review.webhook.WebhookConfig;
import org.cityvision.serving.review.webhook.WebhookNotifier;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python examples of {@code docs/INTEGRATION.md}, taken from the document as written (each
 * {@code ```python} block names its file on its first line) and run with python3 against a live
 * node on loopback: a camera uploader (raw and multipart, retrying with the same key), a sorting
 * client, a flag reader, and a webhook receiver fed by the real notifier. Skipped when no python3
 * is on the PATH.
 */
class IntegrationGuideTest {
  private static final Pattern BLOCK =
      Pattern.compile("```python\\n# file: ([a-z_]+\\.py)\\n(.*?)```", Pattern.DOTALL);
  private static final String SECRET = "guide-webhook-secret-0123456789";

  @TempDir static Path data;
  @TempDir static Path scratch;
  @TempDir static Path scripts;
  static ServingNode node;
  static TestClient http;
  static String cameraKey;
  static String sorterKey;
  static String reviewerKey;
  static Path jpeg;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        pythonAvailable(), "python3 is not on the PATH: the guide's Python examples are not run");
    String guide = Files.readString(Home.root().resolve("docs").resolve("INTEGRATION.md"));
    Matcher m = BLOCK.matcher(guide);
    List<String> names = new ArrayList<>();
    while (m.find()) {
      Files.writeString(scripts.resolve(m.group(1)), m.group(2));
      names.add(m.group(1));
    }
    assertEquals(
        List.of("post_frame.py", "classify.py", "read_flags.py", "webhook_receiver.py"),
        names,
        "the guide's Python examples");
    node = ServingFixture.start(ServingFixture.withModelsFlaggingEveryFrame(data, scratch));
    http = new TestClient(node.port());
    cameraKey = http.newKey("camera", "guide-camera");
    sorterKey = http.newKey("sorter", "guide-sorter");
    reviewerKey = http.newKey("reviewer", "guide-reviewer");
    jpeg = scripts.resolve("frame.jpg");
    Files.write(jpeg, TestImages.jpeg(320, 240, 11));
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  @Test
  void theCameraUploaderStoresRawAndMultipartFramesAndAReusedKeyStoresOnce() throws Exception {
    JsonObject raw =
        new JsonObject(
            python(nodeUrl(), cameraKey, "post_frame.py", "cam-guide", jpeg.toString()).strip());
    JsonObject multipart =
        new JsonObject(
            python(
                    nodeUrl(),
                    cameraKey,
                    "post_frame.py",
                    "cam-guide",
                    jpeg.toString(),
                    "--multipart")
                .strip());
    for (JsonObject posted : List.of(raw, multipart)) {
      assertEquals(
          200,
          http.get("/v1/frames/" + posted.getString("frameId"), reviewerKey).status(),
          posted.encode());
      assertEquals("stored", posted.getString("durability"));
    }
    assertTrue(
        !raw.getString("frameId").equals(multipart.getString("frameId")), "two frames, two ids");

    String twice =
        python(
            nodeUrl(),
            cameraKey,
            "-c",
            "import post_frame\n"
                + "jpeg = open('frame.jpg', 'rb').read()\n"
                + "a = post_frame.post_frame('cam-guide', jpeg, idempotency_key='guide-key-1')\n"
                + "b = post_frame.post_frame('cam-guide', jpeg, idempotency_key='guide-key-1')\n"
                + "print(a['frameId'] == b['frameId'], a['frameId'])\n");
    assertTrue(
        twice.startsWith("True "),
        "a retry with the same key answers with the stored frame: " + twice);
  }

  @Test
  void theUploaderWaitsForRetryAfterAndRetriesWithTheSameKey() throws Exception {
    List<String> keys = new CopyOnWriteArrayList<>();
    List<Long> at = new CopyOnWriteArrayList<>();
    HttpClient client = HttpClient.newHttpClient();
    HttpServer busy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    // Answers the first try 503 with Retry-After: 1, then passes the request on to the node.
    busy.createContext(
        "/",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          keys.add(ex.getRequestHeaders().getFirst("Idempotency-Key"));
          at.add(System.nanoTime());
          if (keys.size() == 1) {
            answer(
                ex,
                503,
                Map.of("Retry-After", "1"),
                "{\"error\": {\"code\": \"overloaded\", \"message\": \"busy\", \"requestId\": \"r1\"}}"
                    .getBytes());
            return;
          }
          try {
            HttpRequest.Builder forward =
                HttpRequest.newBuilder(URI.create(nodeUrl() + ex.getRequestURI()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h :
                List.of("Authorization", "Content-Type", "Idempotency-Key", "X-Captured-At")) {
              String v = ex.getRequestHeaders().getFirst(h);
              if (v != null) {
                forward.header(h, v);
              }
            }
            HttpResponse<byte[]> r =
                client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
            answer(ex, r.statusCode(), Map.of(), r.body());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer(ex, 502, Map.of(), new byte[0]);
          }
        });
    busy.start();
    try {
      String out =
          python(
              "http://127.0.0.1:" + busy.getAddress().getPort(),
              cameraKey,
              "post_frame.py",
              "cam-guide",
              jpeg.toString());
      JsonObject posted = new JsonObject(out.strip());
      assertEquals(2, keys.size(), "one refused try, one accepted");
      assertTrue(
          keys.get(0) != null && keys.get(0).equals(keys.get(1)),
          "the same Idempotency-Key: " + keys);
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(at.get(1) - at.get(0));
      assertTrue(waitedMs >= 1000, "waited " + waitedMs + " ms for Retry-After: 1");
      assertEquals(
          200, http.get("/v1/frames/" + posted.getString("frameId"), reviewerKey).status());
    } finally {
      busy.stop(0);
    }
  }

  @Test
  void theSortingClientNamesABinOrManualSorting() throws Exception {
    JsonObject answer =
        new JsonObject(python(nodeUrl(), sorterKey, "classify.py", jpeg.toString()).strip());
    String bin = answer.getString("bin");
    assertTrue(bin.equals("manual") || ServingFixture.WASTE_LABELS.contains(bin), answer.encode());
    assertTrue(answer.getString("why").contains(" "), answer.encode());
  }

  @Test
  void theFlagReaderListsACamerasOpenFlags() throws Exception {
    String frameId =
        http.post("/v1/cameras/cam-flags/frames", cameraKey, "image/jpeg", Files.readAllBytes(jpeg))
            .json()
            .getString("frameId");
    String out = python(nodeUrl(), reviewerKey, "read_flags.py", "cam-flags");
    JsonObject flag = new JsonObject(out.strip());
    assertEquals(frameId, flag.getString("frameId"));
    assertEquals("open", flag.getString("status"));
  }

  @Test
  void theWebhookReceiverAcceptsAFreshDeliveryAndRefusesOneSignedSixMinutesAgo() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> env =
        new HashMap<>(Map.of("PORT", Integer.toString(port), "CITYVISION_WEBHOOK_SECRET", SECRET));
    ProcessBuilder pb =
        new ProcessBuilder("python3", "-u", "webhook_receiver.py")
            .directory(scripts.toFile())
            .redirectErrorStream(true)
            .redirectOutput(scripts.resolve("receiver.log").toFile());
    pb.environment().putAll(env);
    Process receiver = pb.start();
    try {
      awaitListening(port);
      FlagRecord flag =
          FlagRecord.open(
              "cam-7.20250601T120000000Z.0123456789ab",
              "graffiti",
              0.91,
              "urban",
              "1.0.0",
              Instant.parse("2025-06-01T12:00:01Z"));
      try (WebhookNotifier fresh = notifier(port, Clock.systemUTC())) {
        fresh.flagCreated(flag);
        awaitTrue(() -> fresh.stats().delivered() + fresh.stats().failed() > 0);
        assertEquals(1, fresh.stats().delivered(), "a fresh delivery is accepted");
      }
      awaitTrue(() -> log().contains("flag.created " + flag.frameId() + " graffiti"));
      Clock sixMinutesAgo = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-6));
      try (WebhookNotifier stale = notifier(port, sixMinutesAgo)) {
        stale.flagCreated(flag);
        awaitTrue(() -> stale.stats().delivered() + stale.stats().failed() > 0);
        assertEquals(
            1,
            stale.stats().failed(),
            "a delivery signed 6 minutes ago is refused (401, not retried)");
      }
    } finally {
      receiver.destroy();
      receiver.waitFor(10, TimeUnit.SECONDS);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static WebhookNotifier notifier(int port, Clock clock) {
    Webhook hook = new Webhook("http://127.0.0.1:" + port + "/hook", List.of(), null);
    WebhookConfig config = new WebhookConfig(List.of(hook), 10, 1, 5, 50, 5_000);
    return WebhookNotifier.start(config, Map.of(Webhook.DEFAULT_SECRET_ENV, SECRET), clock);
  }

  private static String log() {
    try {
      return Files.readString(scripts.resolve("receiver.log"));
    } catch (IOException e) {
      return "";
    }
  }

  private static void answer(HttpExchange ex, int status, Map<String, String> headers, byte[] body)
      throws IOException {
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  private static String nodeUrl() {
    return "http://127.0.0.1:" + node.port();
  }

  /**
   * Runs python3 in the scripts folder with the node's address and a key; returns stdout, fails on
   * exit != 0.
   */
  private static String python(String url, String key, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(scripts.toFile());
    pb.environment().put("CITYVISION_URL", url);
    pb.environment().put("CITYVISION_KEY", key);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python3 " + args[0] + " did not finish");
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "python3 " + String.join(" ", args) + ":\n" + text);
    return text;
  }

  private static boolean pythonAvailable() {
    try {
      Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static void awaitListening(int port) {
    awaitTrue(
        () -> {
          try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
          } catch (IOException e) {
            return false;
          }
        });
  }

  private static void awaitTrue(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "condition not met within 30 s");
      Thread.onSpinWait();
    }
  }
}
