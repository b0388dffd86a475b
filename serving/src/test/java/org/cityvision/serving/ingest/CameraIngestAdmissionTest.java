package org.cityvision.serving.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.config.StaticFrames;
import org.cityvision.serving.config.UnknownCameras;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Mat;

/**
 * {@code ingest.maxInFlight}: camera frames beyond the limit are refused at the door with 503 and
 * {@code Retry-After} (an overloaded node must not queue frames until its memory runs out), before
 * their body is read, and the frames it admitted are answered and stored as usual; a camera whose
 * last frame reused its result has a lane of its own.
 */
class CameraIngestAdmissionTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String camera;

  @BeforeAll
  static void start() throws Exception {
    var config = ServingFixture.withModels(data);
    config =
        config.withIngest(
            new IngestConfig(
                UnknownCameras.ACCEPT, List.of(), 320, 80, 4_000, 8, 600, StaticFrames.STORE, 1));
    node = ServingFixture.start(config);
    http = new TestClient(node.port());
    camera = http.newKey("camera", "camera-1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  @Test
  void aFrameBeyondTheLimitIsRefusedAndTheAdmittedOneIsStored() throws Exception {
    // Another node started a request with this key and has not answered: a retry of it here waits
    // up to ingest.idempotencyWaitMs (4 s) before taking it over, holding the one admission slot.
    Held h = hold("cam-held", "held-1", 41);
    Future<Response> waiting = h.answer();
    FrameId planned = h.planned();
    Thread.sleep(600);
    assertTrue(!waiting.isComplete(), "the retry waits for the request it may take over");

    double refusalsBefore = refusals();
    Response refused = http.post("/v1/cameras/cam-busy/frames", camera, "image/jpeg", jpeg(42));
    assertEquals(503, refused.status(), refused.text());
    assertEquals("overloaded", refused.errorCode());
    assertEquals("1", refused.headers().get("Retry-After"));
    assertTrue(refused.text().contains("ingest.maxInFlight"), refused.text());

    // Refused before the body: a camera that asks before sending never sends it, and one that sends
    // at once is answered before the rest of its 8 MB and its connection closed.
    for (boolean expectContinue : new boolean[] {true, false}) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port())) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /v1/cameras/cam-busy/frames HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer "
                    + camera
                    + "\r\nContent-Type: image/jpeg\r\nContent-Length: 8000000\r\n"
                    + (expectContinue ? "Expect: 100-continue\r\n" : "")
                    + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        if (!expectContinue) {
          out.write(new byte[16 * 1024]);
        }
        out.flush();
        String answer =
            new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(
            answer.startsWith("HTTP/1.1 503 Service Unavailable\r\n"),
            "answered 503 (no 100 Continue) before the body: " + answer);
        String head = answer.toLowerCase(Locale.ROOT);
        assertTrue(head.contains("\r\nconnection: close\r\n"), answer);
        assertTrue(head.contains("\r\nretry-after: 1\r\n"), answer);
        assertTrue(answer.contains("\"overloaded\""), answer);
      }
    }

    // A camera that sends a frame of usual size at once gets its answer after the body is read and
    // dropped, and its connection stays open for its next request.
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port())) {
      socket.setSoTimeout(10_000);
      byte[] frame = jpeg(44);
      assertTrue(frame.length <= FrameRoutes.DRAIN_LIMIT);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/cameras/cam-busy/frames HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Authorization: Bearer "
                  + camera
                  + "\r\nContent-Type: image/jpeg\r\nContent-Length: "
                  + frame.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(frame);
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = readAnswer(in);
      assertTrue(answer.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), answer);
      assertTrue(answer.contains("\"overloaded\""), answer);
      assertTrue(
          !answer.toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n"),
          "the connection is kept: " + answer);
      out.write(
          "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String next = readAnswer(in);
      assertTrue(next.startsWith("HTTP/1.1 200 OK\r\n"), "same connection, next request: " + next);
    }

    Response taken = TestClient.await(waiting);
    assertEquals(201, taken.status(), taken.text());
    assertEquals(planned.value(), taken.json().getString("frameId"));
    assertEquals(
        1, node.store().listFrames("frames/cam-held/", null, 10).items().size(), "stored once");

    // The slot is free again once a frame is answered.
    Response after = http.post("/v1/cameras/cam-busy/frames", camera, "image/jpeg", jpeg(43));
    assertEquals(201, after.status(), after.text());
    assertEquals(1, node.store().listFrames("frames/cam-busy/", null, 10).items().size());
    assertEquals(refusalsBefore + 4, refusals(), "every refusal is counted");
  }

  /** One HTTP/1.1 answer with a Content-Length body: its head and body as text. */
  private static String readAnswer(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed after: " + head);
      }
      head.append((char) c);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static byte[] jpeg(int seed) {
    return TestImages.jpeg(640, 480, seed);
  }

  @Test
  void aCameraWhoseLastFrameReusedItsResultIsAdmittedWhileClassifiedFramesFillTheNode()
      throws Exception {
    Mat scene = SyntheticScene.render(640, 360, 5);
    try {
      Random random = new Random(3);
      Response first = still(scene, random);
      assertEquals(201, first.status(), first.text());
      Response second = still(scene, random);
      assertEquals(201, second.status(), second.text());
      assertTrue(second.json().getBoolean("reused", false), second.text());

      // A frame waiting to take over another node's request holds the one place of the lane of
      // cameras whose frames are classified.
      Future<Response> waiting = hold("cam-held2", "held-2", 44).answer();
      Thread.sleep(600);
      assertTrue(!waiting.isComplete(), "the retry waits for the request it may take over");

      Response busy = http.post("/v1/cameras/cam-new/frames", camera, "image/jpeg", jpeg(45));
      assertEquals(503, busy.status(), "a new camera's frame is refused: " + busy.text());
      Response third = still(scene, random);
      assertEquals(201, third.status(), "the static camera's lane has room: " + third.text());
      assertTrue(third.json().getBoolean("reused", false), third.text());
      assertEquals(201, TestClient.await(waiting).status());
    } finally {
      scene.release();
    }
  }

  private static Response still(Mat scene, Random random) throws Exception {
    return http.post(
        "/v1/cameras/cam-still/frames",
        camera,
        "image/jpeg",
        SyntheticScene.noisyJpeg(scene, 1.0, 3, random.nextInt(), 85));
  }

  private static double refusals() throws Exception {
    String prefix = "cityvision_overload_rejected_total{task=\"ingest\"} ";
    return http.get("/metrics", null)
        .text()
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length())))
        .findFirst()
        .orElse(0);
  }

  private record Held(FrameId planned, Future<Response> answer) {}

  /**
   * A retry of a request another node claimed and has not answered: it waits up to
   * ingest.idempotencyWaitMs before taking it over, holding a place in the node meanwhile.
   */
  private static Held hold(String cameraId, String key, int seed) throws Exception {
    byte[] held = TestImages.jpeg(640, 480, seed);
    FrameId planned = FrameId.generate(cameraId, Instant.now());
    node.store()
        .claimIdempotencyKey(
            cameraId + "/" + key + "#1",
            new ObjectMapper()
                .createObjectNode()
                .put("state", "in_progress")
                .put("bodySha256", Sha256.hex(held))
                .put("node", "node-elsewhere")
                .put("startedAt", Instant.now().toString())
                .put("frameId", planned.value()));
    return new Held(
        planned,
        http.async(
            HttpMethod.POST,
            "/v1/cameras/" + cameraId + "/frames",
            camera,
            Map.of("Content-Type", "image/jpeg", "Idempotency-Key", key),
            held));
  }
}
