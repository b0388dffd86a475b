package org.cityvision.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.multipart.MultipartForm;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input of every kind gets a clear 4xx JSON error with a code and the request id, never a stack
 * trace, and the server stays healthy.
 */
class BadInputCorpusTest {
  @TempDir static Path data;
  static ServingNode node;
  static TestClient http;
  static String sorter;
  static String camera;
  static String reviewer;
  static final String ADMIN = ServingFixture.ADMIN_KEY;

  @BeforeAll
  static void start() throws Exception {
    node = ServingFixture.start(ServingFixture.withModels(data));
    http = new TestClient(node.port());
    sorter = http.newKey("sorter", "corpus-sorter");
    camera = http.newKey("camera", "corpus-camera");
    reviewer = http.newKey("reviewer", "corpus-reviewer");
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  private record Case(String name, int status, String code, Supplier<Response> request) {}

  private static Response classify(String contentType, byte[] body) {
    return http.post("/v1/classify/waste", sorter, contentType, body);
  }

  private static Response ingest(String path, Map<String, String> headers, byte[] body) {
    return http.send(HttpMethod.POST, path, camera, headers, body);
  }

  private static Response multipart(MultipartForm form) {
    return http.multipart("/v1/cameras/cam-1/frames", camera, form);
  }

  private static Response auth(String header) {
    return http.send(HttpMethod.GET, "/v1/models", null, Map.of("Authorization", header), null);
  }

  static List<Case> corpus() {
    byte[] jpeg = TestImages.jpeg(320, 240, 1);
    byte[] png = TestImages.png(64, 48, 2);
    Map<String, String> jpegType = Map.of("Content-Type", "image/jpeg");
    List<Case> c = new ArrayList<>();
    // Image bodies on the sorting path.
    c.add(new Case("zero-byte body", 400, "empty_body", () -> classify("image/jpeg", new byte[0])));
    c.add(
        new Case(
            "plain text",
            415,
            "unsupported_media_type",
            () -> classify("text/plain", ascii("hello"))));
    c.add(
        new Case(
            "text declared as JPEG",
            415,
            "unsupported_media_type",
            () -> classify("image/jpeg", ascii("hello there"))));
    c.add(
        new Case(
            "HTML",
            415,
            "unsupported_media_type",
            () -> classify("text/html", ascii("<html><body>x</body></html>"))));
    c.add(
        new Case(
            "HTML declared as PNG",
            415,
            "unsupported_media_type",
            () -> classify("image/png", ascii("<!DOCTYPE html><html></html>"))));
    c.add(new Case("GIF", 415, "unsupported_media_type", () -> classify("image/gif", gif())));
    c.add(
        new Case(
            "GIF declared as JPEG",
            415,
            "unsupported_media_type",
            () -> classify("image/jpeg", gif())));
    c.add(new Case("BMP", 415, "unsupported_media_type", () -> classify("image/bmp", bmp())));
    c.add(
        new Case(
            "PDF",
            415,
            "unsupported_media_type",
            () -> classify("application/octet-stream", ascii("%PDF-1.7\n%garbage"))));
    c.add(
        new Case(
            "random bytes",
            415,
            "unsupported_media_type",
            () -> classify("image/jpeg", random(4096, 3))));
    c.add(
        new Case(
            "one byte",
            415,
            "unsupported_media_type",
            () -> classify("image/jpeg", new byte[] {(byte) 0xFF})));
    c.add(
        new Case(
            "RIFF that is not WebP",
            415,
            "unsupported_media_type",
            () -> classify("image/webp", riff())));
    c.add(
        new Case(
            "JSON to the sorting path",
            415,
            "unsupported_media_type",
            () -> classify("application/json", ascii("{\"a\":1}"))));
    c.add(
        new Case(
            "JPEG truncated to half",
            400,
            "corrupt_image",
            () -> classify("image/jpeg", Arrays.copyOf(jpeg, jpeg.length / 2))));
    c.add(
        new Case(
            "JPEG header only",
            400,
            "corrupt_image",
            () -> classify("image/jpeg", Arrays.copyOf(jpeg, 300))));
    c.add(
        new Case(
            "JPEG start marker only",
            400,
            "corrupt_image",
            () -> classify("image/jpeg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF})));
    c.add(
        new Case(
            "PNG truncated",
            400,
            "corrupt_image",
            () -> classify("image/png", Arrays.copyOf(png, png.length - 40))));
    c.add(
        new Case(
            "PNG signature only",
            400,
            "corrupt_image",
            () -> classify("image/png", Arrays.copyOf(png, 8))));
    c.add(
        new Case(
            "PNG declaring 30000x30000",
            413,
            "image_too_large",
            () -> classify("image/png", pngDeclaring(30_000, 30_000))));
    c.add(
        new Case(
            "PNG declaring 0x0",
            400,
            "corrupt_image",
            () -> classify("image/png", pngDeclaring(0, 0))));
    c.add(
        new Case(
            "JPEG declaring 30000x30000",
            413,
            "image_too_large",
            () -> classify("image/jpeg", jpegDeclaring(jpeg, 30_000, 30_000))));
    c.add(
        new Case(
            "PNG declaring 100000x1",
            413,
            "image_too_large",
            () -> classify("image/png", pngDeclaring(100_000, 1))));
    c.add(
        new Case(
            "50 MB body (declared length)",
            413,
            "body_too_large",
            () ->
                raw(
                    "POST /v1/classify/waste HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer "
                        + sorter
                        + "\r\nContent-Type: image/jpeg\r\nContent-Length: 52428800\r\n\r\n",
                    64 * 1024)));
    c.add(
        new Case(
            "11 MB body, chunked",
            413,
            "body_too_large",
            () ->
                raw(
                    "POST /v1/classify/waste HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer "
                        + sorter
                        + "\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n",
                    11 * 1024 * 1024)));
    c.add(
        new Case(
            "unknown task",
            404,
            "unknown_task",
            () -> http.post("/v1/classify/plants", sorter, "image/jpeg", jpeg)));
    c.add(
        new Case(
            "task with path tricks",
            404,
            null,
            () -> http.post("/v1/classify/..%2Fkeys", sorter, "image/jpeg", jpeg)));
    // Camera ingest.
    c.add(
        new Case(
            "wrong multipart field",
            400,
            "missing_frame_field",
            () ->
                multipart(
                    MultipartForm.create()
                        .binaryFileUpload("image", "f.jpg", Buffer.buffer(jpeg), "image/jpeg"))));
    c.add(
        new Case(
            "multipart without files",
            400,
            "missing_frame_field",
            () -> multipart(MultipartForm.create().attribute("frame", "not a file"))));
    c.add(
        new Case(
            "two frame fields",
            400,
            "too_many_frames",
            () ->
                multipart(
                    MultipartForm.create()
                        .binaryFileUpload("frame", "a.jpg", Buffer.buffer(jpeg), "image/jpeg")
                        .binaryFileUpload("frame", "b.jpg", Buffer.buffer(jpeg), "image/jpeg"))));
    c.add(
        new Case(
            "empty frame field",
            400,
            "empty_body",
            () ->
                multipart(
                    MultipartForm.create()
                        .binaryFileUpload("frame", "a.jpg", Buffer.buffer(), "image/jpeg"))));
    c.add(
        new Case(
            "text in the frame field",
            415,
            "unsupported_media_type",
            () ->
                multipart(
                    MultipartForm.create()
                        .binaryFileUpload(
                            "frame", "a.jpg", Buffer.buffer("just text"), "image/jpeg"))));
    c.add(
        new Case(
            "camera id with ../ (encoded)",
            400,
            "invalid_camera_id",
            () -> ingest("/v1/cameras/..%2F..%2Fetc/frames", jpegType, jpeg)));
    // Vert.x decodes and normalises the path first: /v1/cameras/../frames is /v1/frames, no route.
    c.add(
        new Case(
            "camera id ..",
            404,
            "not_found",
            () -> ingest("/v1/cameras/%2E%2E/frames", jpegType, jpeg)));
    c.add(
        new Case(
            "camera id with unicode",
            400,
            "invalid_camera_id",
            () -> ingest("/v1/cameras/cam%C3%A9ra/frames", jpegType, jpeg)));
    c.add(
        new Case(
            "camera id with a dot",
            400,
            "invalid_camera_id",
            () -> ingest("/v1/cameras/cam.1/frames", jpegType, jpeg)));
    c.add(
        new Case(
            "camera id with a NUL",
            400,
            "invalid_camera_id",
            () -> ingest("/v1/cameras/cam%00x/frames", jpegType, jpeg)));
    c.add(
        new Case(
            "camera id of 65 characters",
            400,
            "invalid_camera_id",
            () -> ingest("/v1/cameras/" + "c".repeat(65) + "/frames", jpegType, jpeg)));
    c.add(
        new Case(
            "garbled X-Captured-At",
            400,
            "invalid_captured_at",
            () ->
                ingest(
                    "/v1/cameras/cam-1/frames",
                    Map.of("Content-Type", "image/jpeg", "X-Captured-At", "yesterday"),
                    jpeg)));
    c.add(
        new Case(
            "X-Captured-At in the future",
            400,
            "invalid_captured_at",
            () ->
                ingest(
                    "/v1/cameras/cam-1/frames",
                    Map.of("Content-Type", "image/jpeg", "X-Captured-At", "2999-01-01T00:00:00Z"),
                    jpeg)));
    c.add(
        new Case(
            "Idempotency-Key too long",
            400,
            "invalid_idempotency_key",
            () ->
                ingest(
                    "/v1/cameras/cam-1/frames",
                    Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "k".repeat(200)),
                    jpeg)));
    c.add(
        new Case(
            "Idempotency-Key with a space",
            400,
            "invalid_idempotency_key",
            () ->
                ingest(
                    "/v1/cameras/cam-1/frames",
                    Map.of("Content-Type", "image/jpeg", "Idempotency-Key", "a b"),
                    jpeg)));
    c.add(
        new Case(
            "truncated frame",
            400,
            "corrupt_image",
            () ->
                ingest(
                    "/v1/cameras/cam-1/frames", jpegType, Arrays.copyOf(jpeg, jpeg.length / 3))));
    c.add(
        new Case(
            "HTML frame",
            415,
            "unsupported_media_type",
            () ->
                ingest(
                    "/v1/cameras/cam-1/frames",
                    Map.of("Content-Type", "text/html"),
                    ascii("<html></html>"))));
    // Keys.
    c.add(
        new Case(
            "no Authorization", 401, "missing_credentials", () -> http.get("/v1/models", null)));
    c.add(
        new Case(
            "Basic instead of Bearer",
            401,
            "invalid_credentials",
            () -> auth("Basic dXNlcjpwYXNz")));
    c.add(new Case("Bearer with no key", 401, null, () -> auth("Bearer ")));
    c.add(
        new Case(
            "garbled key",
            401,
            "invalid_credentials",
            () -> auth("Bearer \u00e9\u00e8\u00ff\u00fe")));
    c.add(
        new Case(
            "1000-character key",
            401,
            "invalid_credentials",
            () -> auth("Bearer " + "x".repeat(1000))));
    c.add(
        new Case(
            "unknown key",
            401,
            "invalid_credentials",
            () -> auth("Bearer cvk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")));
    c.add(
        new Case(
            "camera key on the sorting path",
            403,
            "forbidden",
            () -> http.post("/v1/classify/waste", camera, "image/jpeg", jpeg)));
    c.add(
        new Case(
            "sorter key on camera ingest",
            403,
            "forbidden",
            () -> http.post("/v1/cameras/cam-1/frames", sorter, "image/jpeg", jpeg)));
    c.add(new Case("reviewer key on keys", 403, "forbidden", () -> http.get("/v1/keys", reviewer)));
    c.add(
        new Case(
            "sorter key creating keys",
            403,
            "forbidden",
            () ->
                http.postJson(
                    "/v1/keys",
                    sorter,
                    new JsonObject().put("role", "admin").put("name", "escalate"))));
    // JSON.
    c.add(
        new Case(
            "bad JSON",
            400,
            "invalid_json",
            () -> http.post("/v1/keys", ADMIN, "application/json", ascii("{\"role\":"))));
    c.add(
        new Case(
            "JSON array instead of object",
            400,
            "invalid_json",
            () -> http.post("/v1/keys", ADMIN, "application/json", ascii("[1,2]"))));
    c.add(
        new Case(
            "JSON without fields",
            400,
            "invalid_role",
            () -> http.postJson("/v1/keys", ADMIN, new JsonObject())));
    c.add(
        new Case(
            "JSON role of wrong type",
            400,
            "invalid_role",
            () ->
                http.postJson(
                    "/v1/keys", ADMIN, new JsonObject().put("role", 7).put("name", "x"))));
    c.add(
        new Case(
            "JSON name with path tricks",
            400,
            "invalid_name",
            () ->
                http.postJson(
                    "/v1/keys",
                    ADMIN,
                    new JsonObject().put("role", "camera").put("name", "../../system"))));
    // Protocol.
    c.add(
        new Case(
            "huge header",
            431,
            "headers_too_large",
            () ->
                raw(
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: "
                        + "a".repeat(64 * 1024)
                        + "\r\n\r\n",
                    0)));
    c.add(
        new Case(
            "huge request line",
            414,
            "uri_too_long",
            () ->
                raw(
                    "GET /health/live?" + "a".repeat(16 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    0)));
    c.add(
        new Case(
            "not HTTP at all",
            400,
            "bad_request",
            () -> raw("HELLO\u0001\u0002 WORLD\r\n\r\n", 0)));
    c.add(
        new Case(
            "garbled Content-Length",
            400,
            null,
            () ->
                raw(
                    "POST /v1/classify/waste HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Length: lots\r\n\r\n",
                    0)));
    c.add(
        new Case(
            "unknown frame id",
            400,
            "invalid_frame_id",
            () -> http.get("/v1/frames/not-a-frame", reviewer)));
    c.add(
        new Case(
            "missing frame",
            404,
            "not_found",
            () -> http.get("/v1/frames/cam-1.20240101T000000000Z.0123456789ab", reviewer)));
    c.add(
        new Case(
            "wrong method",
            405,
            "method_not_allowed",
            () -> http.send(HttpMethod.PUT, "/v1/models", sorter, Map.of(), null)));
    c.add(new Case("unknown route", 404, "not_found", () -> http.get("/v2/anything", sorter)));
    return c;
  }

  @TestFactory
  List<DynamicTest> everyBadInputGetsAClearJsonError() {
    List<Case> corpus = corpus();
    assertTrue(corpus.size() >= 40, "the corpus has " + corpus.size() + " cases");
    List<DynamicTest> tests = new ArrayList<>();
    for (Case c : corpus) {
      tests.add(
          DynamicTest.dynamicTest(
              c.name(),
              () -> {
                Response r = c.request().get();
                assertEquals(c.status(), r.status(), c.name() + ": " + r.text());
                JsonObject error = r.json().getJsonObject("error");
                assertNotNull(error, c.name() + ": no JSON error in " + r.text());
                if (c.code() != null) {
                  assertEquals(c.code(), error.getString("code"), c.name());
                }
                assertNotNull(error.getString("message"));
                assertNotNull(error.getString("requestId"));
                assertTrue(
                    !r.text().contains("Exception") && !r.text().contains("\tat "),
                    c.name() + " leaks a trace: " + r.text());
              }));
    }
    return tests;
  }

  @Test
  void serverIsHealthyAndAnswersAfterTheCorpus() {
    for (Case c : corpus()) {
      c.request().get();
    }
    assertEquals(200, http.get("/health/ready", null).status());
    Response ok = classify("image/jpeg", TestImages.jpeg(320, 240, 5));
    assertEquals(200, ok.status(), ok.text());
    assertTrue(http.get("/metrics", null).text().contains("status=\"415\""));
  }

  // ---- crafted bodies

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    b[0] = 0x13;
    return b;
  }

  private static byte[] gif() {
    byte[] b = Arrays.copyOf(ascii("GIF89a"), 64);
    b[6] = 10;
    b[8] = 10;
    return b;
  }

  private static byte[] bmp() {
    byte[] b = new byte[128];
    b[0] = 'B';
    b[1] = 'M';
    return b;
  }

  private static byte[] riff() {
    return Arrays.copyOf(ascii("RIFF\u0000\u0001\u0000\u0000WAVEfmt "), 64);
  }

  /** A PNG whose IHDR (with a valid CRC) declares the given size, and no real pixel data. */
  static byte[] pngDeclaring(int width, int height) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      DataOutputStream d = new DataOutputStream(out);
      d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
      ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
      DataOutputStream h = new DataOutputStream(ihdr);
      h.writeInt(width);
      h.writeInt(height);
      h.write(new byte[] {8, 2, 0, 0, 0});
      chunk(d, "IHDR", ihdr.toByteArray());
      chunk(d, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
      chunk(d, "IEND", new byte[0]);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void chunk(DataOutputStream d, String type, byte[] body) throws IOException {
    d.writeInt(body.length);
    byte[] t = ascii(type);
    d.write(t);
    d.write(body);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(body);
    d.writeInt((int) crc.getValue());
  }

  /** A real JPEG with its SOF dimensions patched. */
  static byte[] jpegDeclaring(byte[] jpeg, int width, int height) {
    byte[] b = jpeg.clone();
    for (int i = 2; i + 9 < b.length; i++) {
      if ((b[i] & 0xFF) == 0xFF && ((b[i + 1] & 0xFF) == 0xC0 || (b[i + 1] & 0xFF) == 0xC2)) {
        b[i + 5] = (byte) (height >> 8);
        b[i + 6] = (byte) height;
        b[i + 7] = (byte) (width >> 8);
        b[i + 8] = (byte) width;
        return b;
      }
    }
    throw new IllegalStateException("no SOF marker");
  }

  /**
   * Sends raw bytes (and then {@code bodyBytes} of zeros, chunked when the head says so, while the
   * server may already be answering) and parses the answer's status and JSON body.
   */
  static Response raw(String head, int bodyBytes) {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      boolean chunked = head.contains("chunked");
      byte[] block = new byte[64 * 1024];
      try {
        for (int sent = 0; sent < bodyBytes; sent += block.length) {
          if (chunked) {
            out.write(
                (Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          }
          out.write(block);
          if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
          }
        }
        if (chunked) {
          out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
      } catch (IOException closedEarly) {
        // The server answered and closed before the whole body was sent: read its answer.
      }
      InputStream in = s.getInputStream();
      byte[] all = in.readAllBytes();
      String text = new String(all, StandardCharsets.UTF_8);
      int status = Integer.parseInt(text.substring(9, 12));
      int split = text.indexOf("\r\n\r\n");
      String body = split < 0 ? "" : text.substring(split + 4);
      if (text.substring(0, Math.max(0, split))
          .toLowerCase()
          .contains("transfer-encoding: chunked")) {
        body = body.substring(body.indexOf("\r\n") + 2, body.lastIndexOf("\r\n0\r\n"));
      }
      return new Response(status, MultiMap.caseInsensitiveMultiMap(), Buffer.buffer(body));
    } catch (IOException e) {
      throw new AssertionError("raw request failed: " + e, e);
    }
  }
}
