package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.ingest.IdempotencyLedger;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A camera retrying with its {@code Idempotency-Key} after the node it posted to crashed: the
 * retry, on another node sharing the store, gets the frame the crashed request stored, at once, and
 * the store holds one frame. The crash is real: a {@code serve} process killed with SIGKILL while
 * it sends the claim's completion to the store, after the frame, result and flag are written.
 */
class CrashedRetryTest {
  private static final String ACCESS = "crash-access";
  private static final String SECRET = "crash-secret-0123456789";
  private static final String BUCKET = "crash";
  private static final String ADMIN = "crash-test-admin-key-0123";

  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static ServingNode survivor;
  static TestClient toSurvivor;
  static String camera;

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, ACCESS, SECRET);
    ServerConfig c = ServingFixture.withModels(dir.resolve("survivor"));
    StoreConfig s = c.storage();
    survivor =
        ServingFixture.start(
            c.withModels(new ModelsConfig("", c.models().urban(), true))
                .withAuth(new AuthConfig(0, 1, 200))
                .withStorage(
                    new StoreConfig(
                        s3.endpoint(), s.region(), BUCKET, false, s.spoolMaxBytes(), 5_000, 5_000)),
            new Secrets(ADMIN, ACCESS, SECRET));
    toSurvivor = new TestClient(survivor.port());
    camera =
        toSurvivor
            .postJson(
                "/v1/keys",
                ADMIN,
                new JsonObject().put("role", "camera").put("name", "crash-camera"))
            .json()
            .getString("key");
  }

  @AfterAll
  static void stop() throws Exception {
    if (toSurvivor != null) {
      toSurvivor.close();
    }
    ServingFixture.stop(survivor);
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void retryAfterACrashBetweenFrameWriteAndClaimCompletionGetsTheStoredFrame() throws Exception {
    Path home = Home.root();
    assumeTrue(
        Files.isRegularFile(home.resolve("models/urban/model.json")),
        "skipped: no shipped urban model at " + home);
    byte[] jpeg = TestImages.jpeg(640, 480, 808);
    Process node = null;
    try (CrashingProxy proxy =
        new CrashingProxy(s3.port(), "PUT /" + BUCKET + "/system/idempotency/", 2)) {
      node = startNode(proxy.port());
      proxy.onTrigger(node::destroyForcibly);
      String base = listening(node);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest post =
          HttpRequest.newBuilder(URI.create(base + "/v1/cameras/cam-crash/frames"))
              .header("Authorization", "Bearer " + camera)
              .header("Idempotency-Key", "frame-0001")
              .header("Content-Type", "image/jpeg")
              .timeout(Duration.ofSeconds(120))
              .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg))
              .build();

      assertThrows(
          IOException.class,
          () -> http.send(post, HttpResponse.BodyHandlers.ofString()),
          "the node dies before it answers");
      assertTrue(
          node.waitFor(30, TimeUnit.SECONDS) && proxy.triggered(),
          "killed at the claim's completion");
    } finally {
      if (node != null) {
        node.destroyForcibly();
      }
    }
    FrameStore store = survivor.store();
    List<FrameEntry> before = frames(store, "cam-crash");
    assertEquals(1, before.size(), "the crashed request stored its frame: " + before);
    String stored = before.get(0).frameId();

    long t0 = System.nanoTime();
    Response retry =
        toSurvivor.send(
            HttpMethod.POST,
            "/v1/cameras/cam-crash/frames",
            camera,
            Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "frame-0001"),
            jpeg);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Response again =
        toSurvivor.send(
            HttpMethod.POST,
            "/v1/cameras/cam-crash/frames",
            camera,
            Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "frame-0001"),
            jpeg);

    assertEquals(201, retry.status(), retry.text());
    assertEquals(
        stored, retry.json().getString("frameId"), "the retry answers with the stored frame");
    assertTrue(seconds < 15, "answered without waiting out a stale claim: " + seconds + " s");
    assertEquals(
        List.of(stored), frames(store, "cam-crash").stream().map(FrameEntry::frameId).toList());
    assertEquals(1, store.results(stored).size(), "one result of the one model version");
    assertEquals(retry.json().getBoolean("flagged"), hasFlag(store, stored));
    assertEquals(201, again.status(), again.text());
    assertEquals("true", again.headers().get("Idempotent-Replayed"));
    assertEquals(stored, again.json().getString("frameId"));
  }

  @Test
  void retryOfARequestThatCrashedBeforeWritingTakesOverAtOnceUnderTheRecordedId() throws Exception {
    byte[] jpeg = TestImages.jpeg(640, 480, 809);
    String bodyHash = Sha256.hex(jpeg);
    FrameId recorded = FrameId.generate("cam-early", Instant.now());
    // What a node leaves when it dies right after claiming: an in-progress claim, nothing else.
    new IdempotencyLedger(
            survivor.store(),
            Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-10)),
            Duration.ofSeconds(5),
            Duration.ofSeconds(60),
            "crashed-node")
        .claim("cam-early", "early-1", bodyHash, recorded);

    long t0 = System.nanoTime();
    Response retry =
        toSurvivor.send(
            HttpMethod.POST,
            "/v1/cameras/cam-early/frames",
            camera,
            Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "early-1"),
            jpeg);
    double seconds = (System.nanoTime() - t0) / 1e9;

    assertEquals(201, retry.status(), retry.text());
    assertEquals(recorded.value(), retry.json().getString("frameId"));
    assertTrue(seconds < 15, "no wait for a stale claim: " + seconds + " s");
    assertEquals(
        List.of(recorded.value()),
        frames(survivor.store(), "cam-early").stream().map(FrameEntry::frameId).toList());
  }

  private static Process startNode(int storePort) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-Dai.djl.offline=true",
                "-Dcityvision.home=" + Home.root(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--port",
                "0",
                "--data",
                dir.resolve("crashing").toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(dir.resolve("crashing.err").toFile());
    Map<String, String> env = builder.environment();
    env.put("OPT_OUT_TRACKING", "true");
    env.put("ONEDNN_MAX_CPU_ISA", "AVX2");
    env.put("CITYVISION_ADMIN_KEY", ADMIN);
    env.put("CITYVISION_S3_ENDPOINT", "http://127.0.0.1:" + storePort);
    env.put("CITYVISION_S3_BUCKET", BUCKET);
    env.put("CITYVISION_S3_ACCESS_KEY", ACCESS);
    env.put("CITYVISION_S3_SECRET_KEY", SECRET);
    env.put("CITYVISION_MODELS_WASTE", "");
    env.put("CITYVISION_HTTP_WARM_UP_SECONDS", "0");
    return builder.start();
  }

  private static String listening(Process node) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    String line = ProcessLines.next(out, 150);
    assertTrue(
        line != null && line.startsWith("listening on "),
        "first stdout line: "
            + line
            + "; stderr: "
            + Files.readString(dir.resolve("crashing.err")));
    return line.substring("listening on ".length());
  }

  private static List<FrameEntry> frames(FrameStore store, String cameraId) throws Exception {
    return store.listFrames("frames/" + cameraId + "/", null, 1000).items();
  }

  private static boolean hasFlag(FrameStore store, String frameId) throws Exception {
    try {
      store.flag(frameId);
      return true;
    } catch (ObjectNotFoundException e) {
      return false;
    }
  }

  /**
   * A TCP proxy in front of the store that runs an action (the crash) instead of forwarding the
   * {@code nth} request starting with {@code trigger}, and forwards nothing after it.
   */
  static final class CrashingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int upstream;
    private final byte[] trigger;
    private final int nth;
    private final AtomicInteger seen = new AtomicInteger();
    private final CountDownLatch fired = new CountDownLatch(1);
    private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
    private volatile Runnable action = () -> {};

    CrashingProxy(int upstream, String trigger, int nth) throws IOException {
      this.upstream = upstream;
      this.trigger = trigger.getBytes(StandardCharsets.US_ASCII);
      this.nth = nth;
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread accept = new Thread(this::accept, "crashing-proxy");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return server.getLocalPort();
    }

    void onTrigger(Runnable action) {
      this.action = action;
    }

    boolean triggered() {
      return fired.getCount() == 0;
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Socket store = new Socket(InetAddress.getLoopbackAddress(), upstream);
          sockets.add(client);
          sockets.add(store);
          pump(client.getInputStream(), store.getOutputStream(), true);
          pump(store.getInputStream(), client.getOutputStream(), false);
        } catch (IOException e) {
          return;
        }
      }
    }

    private void pump(InputStream in, OutputStream out, boolean watch) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[64 * 1024];
                byte[] tail = new byte[0];
                try {
                  for (int n; (n = in.read(buf)) > 0; ) {
                    if (triggered()) {
                      return;
                    }
                    if (watch) {
                      byte[] window = new byte[tail.length + n];
                      System.arraycopy(tail, 0, window, 0, tail.length);
                      System.arraycopy(buf, 0, window, tail.length, n);
                      if (indexOf(window, trigger) >= 0 && seen.incrementAndGet() == nth) {
                        action.run();
                        fired.countDown();
                        close();
                        return;
                      }
                      tail =
                          Arrays.copyOfRange(
                              window,
                              Math.max(0, window.length - trigger.length + 1),
                              window.length);
                    }
                    out.write(buf, 0, n);
                    out.flush();
                  }
                } catch (IOException e) {
                  // the other side closed
                }
              },
              "crashing-proxy-pump");
      t.setDaemon(true);
      t.start();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
      outer:
      for (int i = 0; i + needle.length <= haystack.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (haystack[i + j] != needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    @Override
    public void close() {
      try {
        server.close();
      } catch (IOException e) {
        // closing anyway
      }
      synchronized (sockets) {
        for (Socket s : sockets) {
          try {
            s.close();
          } catch (IOException e) {
            // closing anyway
          }
        }
      }
    }
  }
}
