package org.cityvision.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.HttpConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multipart uploads and the node's disk: nothing is written for a request without a valid key, and
 * nothing an upload cut off leaves behind survives (at the request timeout, or across a restart).
 */
class UploadsTest {
  private static final String BOUNDARY = "cityvision-test-boundary";

  @TempDir static Path data;
  static ServingNode node;
  static String camera;
  static Path uploads;

  @BeforeAll
  static void start() throws Exception {
    ServerConfig c = ServingFixture.withModels(data);
    HttpConfig h = c.http();
    uploads = c.uploadsDir();
    Files.createDirectories(uploads);
    Files.write(uploads.resolve("left-by-a-killed-node"), new byte[4096]);
    node =
        ServingFixture.start(
            c.withHttp(
                new HttpConfig(
                    h.host(),
                    0,
                    h.bodyLimitBytes(),
                    h.maxHeaderBytes(),
                    1_500,
                    h.shutdownGraceMs(),
                    1,
                    0)));
    try (TestClient http = new TestClient(node.port())) {
      camera = http.newKey("camera", "upload-camera");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    ServingFixture.stop(node);
  }

  @Test
  void uploadsLeftBeforeTheStartAreGone() throws Exception {
    assertEquals(List.of(), files(), "the start deletes what no request owns");
  }

  @Test
  void slowUploadsWithoutAValidKeyAreRefusedBeforeTheirBodyAndLeaveNothing() throws Exception {
    for (String authorization :
        new String[] {null, "Bearer cvk_not-a-key-of-this-system", "Basic abc"}) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port())) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(multipartHead("cam-slow", authorization, 8_000_000));
        out.write(new byte[16 * 1024]);
        out.flush();

        String status =
            new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();

        assertEquals(
            "HTTP/1.1 401 Unauthorized", status, "answered before the rest of the 8 MB body");
      }
    }
    assertEquals(List.of(), files(), "no upload file for a request without a key");
  }

  @Test
  void uploadCutOffAtTheRequestTimeoutLeavesNoFile() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(multipartHead("cam-slow", "Bearer " + camera, 8_000_000));
      out.write(new byte[256 * 1024]);
      out.flush();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (files().isEmpty() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(20_000_000);
      }
      assertEquals(1, files().size(), "the authenticated upload is being written");

      String status =
          new BufferedReader(
                  new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();

      assertEquals("HTTP/1.1 503 Service Unavailable", status, "the request timed out");
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!files().isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(100_000_000);
    }
    assertEquals(List.of(), files(), "the cut-off upload's file is deleted");
  }

  private static byte[] multipartHead(String cameraId, String authorization, long length) {
    String part =
        "--"
            + BOUNDARY
            + "\r\nContent-Disposition: form-data; name=\"frame\"; filename=\"f.jpg\"\r\n"
            + "Content-Type: image/jpeg\r\n\r\n";
    return ("POST /v1/cameras/"
            + cameraId
            + "/frames HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
            + "Content-Type: multipart/form-data; boundary="
            + BOUNDARY
            + "\r\nContent-Length: "
            + length
            + "\r\n\r\n"
            + part)
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(uploads)) {
      return s.toList();
    }
  }
}
