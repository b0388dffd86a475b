package org.cityvision.core.storage;

import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.testing.TempDirs;
import org.cityvision.s3server.EmbeddedS3Server;

/**
 * Put/get throughput of 300 KB frames through {@link FrameStore} against bare MinIO client calls,
 * on the same embedded server in the same run, plus the spool path (MinIO unreachable) measured
 * separately. Prints a markdown table.
 *
 * <p>Run: {@code java -cp target/test-classes:target/classes:$(cat cp.txt)
 * org.cityvision.core.storage.StoreBenchmark [frames-per-round] [rounds]}
 */
public final class StoreBenchmark {
  private StoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    int perRound = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int size = 300 * 1024;
    Path root = Files.createTempDirectory("cityvision-bench");
    byte[] frame = StoreFixture.jpeg(size, 42);
    Instant t0 = Instant.parse("2025-06-01T00:00:00Z");
    long storePut = 0;
    long storeGet = 0;
    long barePut = 0;
    long bareGet = 0;
    int n = perRound * rounds;
    try (EmbeddedS3Server server = StoreFixture.server(root.resolve("s3"));
        MinioFrameStore store =
            FrameStores.open(
                StoreFixture.config(server.endpoint(), root.resolve("data"), "bench"),
                Clock.systemUTC())) {
      MinioClient bare =
          MinioClient.builder()
              .endpoint(server.endpoint())
              .credentials(StoreFixture.ACCESS, StoreFixture.SECRET)
              .region("us-east-1")
              .build();
      Map<String, String> meta = new HashMap<>();
      meta.put("sha256", StorageKeys.sha256Hex(frame));
      meta.put("frame-id", "cam-1.20250601T000000000Z.0123456789ab");
      meta.put("camera-id", "cam-1");
      meta.put("captured-at", "2025-06-01T00:00:00Z");
      meta.put("received-at", "2025-06-01T00:00:00.123456Z");
      // Warm-up: JIT, connections, the server's directories.
      for (int i = 0; i < 30; i++) {
        String id =
            store
                .putFrame(new FrameUpload("cam-0", t0.plusMillis(i), "image/jpeg", frame, null))
                .frameId();
        store.readFrame(id);
        barePut(bare, "frames/bare-0/2025/06/01/w" + i + ".jpg", frame, meta);
        bareGet(bare, "frames/bare-0/2025/06/01/w" + i + ".jpg");
      }
      // Operations alternate one by one, so that load from other processes on this shared
      // machine falls on both paths alike; the bare keys have the same shape as the store's.
      for (int r = 0; r < rounds; r++) {
        List<String> ids = new ArrayList<>(perRound);
        for (int i = 0; i < perRound; i++) {
          long a = System.nanoTime();
          ids.add(
              store
                  .putFrame(
                      new FrameUpload(
                          "cam-1", t0.plusMillis(r * 100_000L + i), "image/jpeg", frame, null))
                  .frameId());
          long b = System.nanoTime();
          barePut(bare, "frames/bare-1/2025/06/01/" + r + "-" + i + ".jpg", frame, meta);
          long c = System.nanoTime();
          storePut += b - a;
          barePut += c - b;
        }
        for (int i = 0; i < perRound; i++) {
          long a = System.nanoTime();
          store.readFrame(ids.get(i));
          long b = System.nanoTime();
          bareGet(bare, "frames/bare-1/2025/06/01/" + r + "-" + i + ".jpg");
          long c = System.nanoTime();
          storeGet += b - a;
          bareGet += c - b;
        }
      }
    } finally {
      TempDirs.deleteTree(root);
    }
    double spoolPut = runSpool(root.resolve("spool-data"), frame, t0, perRound);
    System.out.println(
        "| path (300 KB frames, "
            + n
            + " each, "
            + rounds
            + " alternating rounds) "
            + "| put frames/s | get frames/s | put MB/s | get MB/s |");
    System.out.println("|---|---|---|---|---|");
    row("bare MinIO client (putObject/getObject)", n / (barePut / 1e9), n / (bareGet / 1e9), size);
    row(
        "FrameStore (putFrame/readFrame, SHA-256 write+verify)",
        n / (storePut / 1e9),
        n / (storeGet / 1e9),
        size);
    System.out.printf(
        Locale.ROOT,
        "| ratio FrameStore / bare | %.2f | %.2f | | |%n",
        (double) barePut / storePut,
        (double) bareGet / storeGet);
    System.out.printf(
        Locale.ROOT,
        "| FrameStore spool path (MinIO unreachable, fsync per frame) | %.0f | | %.1f | |%n",
        perRound / spoolPut,
        perRound / spoolPut * size / 1e6);
    // The bare client's OkHttp dispatcher threads are not daemons and idle for a minute.
    System.exit(0);
  }

  private static void row(String name, double put, double get, int size) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %.0f | %.0f | %.1f | %.1f |%n",
        name,
        put,
        get,
        put * size / 1e6,
        get * size / 1e6);
  }

  private static void barePut(
      MinioClient client, String key, byte[] frame, Map<String, String> meta) throws Exception {
    client.putObject(
        PutObjectArgs.builder().bucket("bench").object(key).stream(
                new ByteArrayInputStream(frame), frame.length, -1)
            .contentType("image/jpeg")
            .userMetadata(meta)
            .build());
  }

  private static void bareGet(MinioClient client, String key) throws Exception {
    try (GetObjectResponse r =
        client.getObject(GetObjectArgs.builder().bucket("bench").object(key).build())) {
      r.readAllBytes();
    }
  }

  private static double runSpool(Path dataDir, byte[] frame, Instant t0, int n) throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    StorageConfig config =
        StoreFixture.config("http://127.0.0.1:" + dead, dataDir, "bench")
            .withSpool(1L << 30, Duration.ofSeconds(30));
    try (FrameStore store = FrameStores.open(config)) {
      store.putFrame(new FrameUpload("cam-1", t0, "image/jpeg", frame, null));
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        store.putFrame(new FrameUpload("cam-1", t0.plusMillis(i), "image/jpeg", frame, null));
      }
      return (System.nanoTime() - start) / 1e9;
    }
  }
}
