package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.frame.Durability;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** Nothing accepted is lost: MinIO going away mid-stream, a killed process, a full spool. */
class SpoolRecoveryTest {
  private static final Instant T0 = Instant.parse("2025-06-01T00:00:00Z");

  @TempDir Path serverDir;
  @TempDir Path dataDir;

  private static String bucket(TestInfo info) {
    return StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
  }

  private static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void keepsEveryFrameExactlyOnceWhenTheServerStopsDuringThousandPuts(TestInfo info)
      throws Exception {
    String bucket = bucket(info);
    EmbeddedS3Server server = StoreFixture.server(serverDir);
    int port = server.port();
    Map<String, String> sha = new HashMap<>();
    int spooled = 0;
    try (MinioFrameStore store = StoreFixture.open(server, dataDir, bucket)) {
      for (int i = 0; i < 1000; i++) {
        if (i == 300) {
          server.close();
        }
        if (i == 700) {
          server =
              EmbeddedS3Server.start(serverDir, port, StoreFixture.ACCESS, StoreFixture.SECRET);
        }
        FrameRecord frame =
            store.putFrame(StoreFixture.upload("cam-1", T0.plusSeconds(i), 4_000, i));
        assertTrue(sha.put(frame.frameId(), frame.sha256()) == null);
        if (frame.durability() == Durability.SPOOLED) {
          spooled++;
        }
      }
      StoreFixture.await(
          () -> store.health().spoolItems() == 0,
          Duration.ofSeconds(60),
          "the flusher has delivered the spool");

      List<FrameEntry> listed = new ArrayList<>();
      String cursor = null;
      do {
        Page<FrameEntry> page = store.listFrames("frames/cam-1/", cursor, 1000);
        listed.addAll(page.items());
        cursor = page.nextCursor();
      } while (cursor != null);
      assertEquals(1000, listed.size());
      assertEquals(sha.keySet(), new HashSet<>(listed.stream().map(FrameEntry::frameId).toList()));
      for (FrameEntry entry : listed) {
        FrameData data = store.readFrame(entry.frameId());
        assertEquals(Durability.STORED, data.record().durability());
        assertEquals(sha.get(entry.frameId()), StorageKeys.sha256Hex(data.bytes()));
      }
      assertTrue(spooled >= 400, "frames spooled while the server was down: " + spooled);
      assertFalse(store.health().degraded());
    } finally {
      server.close();
    }
  }

  @Test
  void replaysSpoolLeftByKilledProcess(TestInfo info) throws Exception {
    String bucket = bucket(info);
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                "-Xmx256m",
                SpoolWriterProcess.class.getName(),
                dataDir.toString(),
                "http://127.0.0.1:" + deadPort(),
                bucket,
                "25")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    Map<String, String> sha = new HashMap<>();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null && !line.equals("READY")) {
        String[] parts = line.split(" ");
        assertEquals("SPOOLED", parts[3]);
        sha.put(parts[1], parts[2]);
      }
    } finally {
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(25, sha.size());

    try (EmbeddedS3Server server = StoreFixture.server(serverDir);
        MinioFrameStore store = StoreFixture.open(server, dataDir, bucket)) {
      StoreFixture.await(
          () -> store.health().spoolItems() == 0,
          Duration.ofSeconds(30),
          "the replayed spool is delivered");
      for (var frame : sha.entrySet()) {
        FrameData data = store.readFrame(frame.getKey());
        assertEquals(Durability.STORED, data.record().durability());
        assertEquals(frame.getValue(), StorageKeys.sha256Hex(data.bytes()));
        assertTrue(store.readThumbnail(frame.getKey()).length > 0);
      }
    }
  }

  @Test
  void servesSpooledFrameToReadersBeforeItIsDelivered(TestInfo info) throws Exception {
    String endpoint = "http://127.0.0.1:" + deadPort();
    try (FrameStore store =
        FrameStores.open(StoreFixture.config(endpoint, dataDir, bucket(info)))) {
      FrameUpload upload = StoreFixture.upload("cam-1", T0, 10_000, 1);
      FrameRecord frame = store.putFrame(upload);
      store.putResult(
          new ResultRecord(
              frame.frameId(), "urban", "1.0.0", T0, JsonNodeFactory.instance.objectNode()));

      assertEquals(Durability.SPOOLED, frame.durability());
      assertArrayEquals(upload.bytes(), store.readFrame(frame.frameId()).bytes());
      assertArrayEquals(upload.thumbnail(), store.readThumbnail(frame.frameId()));
      assertTrue(store.hasResult(frame.frameId(), "urban", "1.0.0"));
      assertEquals(2, store.health().spoolItems());
    }
  }

  @Test
  void refusesWriteWithSpoolFullWhenMinioIsDownAndTheBoundIsReached(TestInfo info)
      throws Exception {
    StorageConfig config =
        StoreFixture.config("http://127.0.0.1:" + deadPort(), dataDir, bucket(info))
            .withSpool(1 << 20, Duration.ofMillis(200));
    try (FrameStore store = FrameStores.open(config)) {
      for (int i = 0; i < 3; i++) {
        store.putFrame(StoreFixture.upload("cam-1", T0, 300_000, i));
      }

      assertThrows(
          SpoolFullException.class,
          () -> store.putFrame(StoreFixture.upload("cam-1", T0, 300_000, 9)));
      assertEquals(3, store.health().spoolItems());
    }
  }

  @Test
  void secondStoreCannotOpenTheSameSpoolDirectory(TestInfo info) throws Exception {
    String endpoint = "http://127.0.0.1:" + deadPort();
    StorageConfig config = StoreFixture.config(endpoint, dataDir, bucket(info));
    try (FrameStore first = FrameStores.open(config)) {
      assertTrue(first.health().spoolMaxBytes() > 0);
      StorageException e = assertThrows(StorageException.class, () -> FrameStores.open(config));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }
  }

  @Test
  void refusesToOpenWithoutAnEndpoint() {
    StorageException e =
        assertThrows(
            StorageException.class, () -> FrameStores.open(StorageConfig.embedded(dataDir)));
    assertTrue(e.getMessage().contains("no storage endpoint"), e.getMessage());
    assertFalse(Files.exists(dataDir.resolve("spool")));
  }
}
