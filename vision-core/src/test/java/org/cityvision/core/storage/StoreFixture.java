package org.cityvision.core.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.s3server.EmbeddedS3Server;

/** Shared arrangements of the storage tests: a real S3 server, a bucket per test, frame bytes. */
final class StoreFixture {
  static final String ACCESS = "cityvision-test";
  static final String SECRET = "cityvision-test-secret";
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  private StoreFixture() {}

  static EmbeddedS3Server server(Path dir) throws IOException {
    return EmbeddedS3Server.start(dir, 0, ACCESS, SECRET);
  }

  /** A bucket name of its own for each test. */
  static String bucket(String testName) {
    String base = testName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    base = base.length() > 40 ? base.substring(0, 40) : base;
    return ("t-" + base + "-" + BUCKETS.incrementAndGet()).replaceAll("-+", "-");
  }

  static StorageConfig config(String endpoint, Path dataDir, String bucket) {
    return StorageConfig.embedded(dataDir)
        .withEndpoint(endpoint, ACCESS, SECRET)
        .withBucket(bucket)
        .withSpool(256L << 20, Duration.ofMillis(200))
        .withRequestTimeout(Duration.ofSeconds(5));
  }

  static MinioFrameStore open(EmbeddedS3Server server, Path dataDir, String bucket)
      throws StorageException {
    return FrameStores.open(config(server.endpoint(), dataDir, bucket), Clock.systemUTC());
  }

  /** Frame-like bytes: a JPEG start marker then noise, so nothing compresses them away. */
  static byte[] jpeg(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    return b;
  }

  static FrameUpload upload(String camera, Instant capturedAt, int size, long seed) {
    return new FrameUpload(camera, capturedAt, "image/jpeg", jpeg(size, seed), jpeg(512, ~seed));
  }

  /** Polls {@code condition} until true or the deadline passes; for the background flusher. */
  static void await(BooleanSupplier condition, Duration deadline, String what) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + deadline + " waiting until " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  /** A clock a test moves by hand. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void set(Instant value) {
      now = value;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
