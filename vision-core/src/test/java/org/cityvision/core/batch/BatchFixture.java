package org.cityvision.core.batch;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;

/** Arrangements shared by the batch tests: a real S3 server, a bucket per test, frames, a model. */
final class BatchFixture {
  static final String ACCESS = "cityvision-batch-test";
  static final String SECRET = "cityvision-batch-test-secret";
  static final List<String> URBAN_LABELS =
      List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal");
  static final Instant DAY = Instant.parse("2026-11-05T08:00:00Z");
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  private BatchFixture() {}

  static EmbeddedS3Server server(Path dir) throws IOException {
    return EmbeddedS3Server.start(dir, 0, ACCESS, SECRET);
  }

  static String bucket(String name) {
    String base = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    base = base.length() > 40 ? base.substring(0, 40) : base;
    return ("b-" + base + "-" + BUCKETS.incrementAndGet()).replaceAll("-+", "-");
  }

  static StorageConfig config(String endpoint, Path dataDir, String bucket) {
    return StorageConfig.embedded(dataDir)
        .withEndpoint(endpoint, ACCESS, SECRET)
        .withBucket(bucket)
        .withSpool(64L << 20, Duration.ofMillis(200))
        .withRequestTimeout(Duration.ofSeconds(10));
  }

  static FrameStore open(String endpoint, Path dataDir, String bucket) throws StorageException {
    return FrameStores.open(config(endpoint, dataDir, bucket));
  }

  /**
   * An urban package with an untrained head (skips without ../shared) whose thresholds flag
   * potholes and graffiti at any score, so that flagging always has something to decide.
   */
  static ModelPackage urbanPackage(Path dir, int inputSize) throws Exception {
    ModelPackage pkg = TestModels.untrainedPackage(dir, "urban", URBAN_LABELS, inputSize);
    ModelPackage.writeSpec(
        dir,
        pkg.spec()
            .withThresholds(
                new Thresholds(0, Map.of("pothole_road_damage", 0.0, "graffiti", 0.0))));
    return ModelPackage.read(dir);
  }

  static ClassifierOptions classifierOptions() {
    return ClassifierOptions.defaults()
        .withWorkers(2)
        .withTorchThreads(1)
        .withBatching(8, Duration.ofMillis(2))
        .withWarmup(false);
  }

  /** Stores {@code count} camera-like JPEG frames of one camera and day; returns their ids. */
  static List<String> storeFrames(
      FrameStore store, String camera, int count, int width, int height, long seed)
      throws StorageException {
    List<String> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      FrameRecord r =
          store.putFrame(
              new FrameUpload(
                  camera,
                  DAY.plusSeconds(i),
                  "image/jpeg",
                  TestImages.jpeg(width, height, seed + i),
                  null));
      ids.add(r.frameId());
    }
    return ids;
  }

  static FrameRecord storeBytes(FrameStore store, String camera, Instant at, byte[] bytes)
      throws StorageException {
    return store.putFrame(new FrameUpload(camera, at, "image/jpeg", bytes, null));
  }

  /** Overwrites a stored object's bytes, keeping its metadata (and so its old checksum). */
  static void corruptInPlace(String endpoint, String bucket, String key, byte[] bytes)
      throws Exception {
    MinioClient raw =
        MinioClient.builder()
            .endpoint(endpoint)
            .credentials(ACCESS, SECRET)
            .region("us-east-1")
            .build();
    StatObjectResponse stat =
        raw.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
    raw.putObject(
        PutObjectArgs.builder().bucket(bucket).object(key).stream(
                new ByteArrayInputStream(bytes), bytes.length, -1)
            .contentType(stat.contentType())
            .userMetadata(stat.userMetadata())
            .build());
  }

  /** The results of a frame by one model version. */
  static List<ResultRecord> resultsOf(
      FrameStore store, String frameId, String model, String version) throws StorageException {
    return store.results(frameId).stream()
        .filter(r -> r.model().equals(model) && r.version().equals(version))
        .toList();
  }
}
