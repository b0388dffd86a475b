package org.cityvision.core.storage;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Where the store lives and how it behaves. Secrets come from the environment only: pass {@code
 * System.getenv()} to {@link #fromEnvironment}.
 *
 * @param endpoint MinIO as {@code host[:port]} or {@code http(s)://host[:port]}; {@code null}
 *     starts the embedded S3 server under {@code dataDir/s3} on loopback
 * @param region defaults to {@code us-east-1}; set so the client skips a bucket-location request
 * @param bucket the one bucket, created on start if missing
 * @param secure TLS to {@code endpoint} (ignored for the embedded server)
 * @param accessKey required with {@code endpoint}; ignored (generated) for the embedded server
 * @param secretKey required with {@code endpoint}; ignored (generated) for the embedded server
 * @param dataDir local state: {@code spool/}, and {@code s3/} for the embedded server
 * @param spoolMaxBytes bound of the local spool; a write that does not fit fails with {@link
 *     SpoolFullException}
 * @param requestTimeout connect, read and write timeout of each MinIO request; a slower request
 *     counts as "MinIO unavailable" and its write goes to the spool
 * @param retryBackoffMax longest wait between the flusher's delivery attempts
 */
public record StorageConfig(
    String endpoint,
    String region,
    String bucket,
    boolean secure,
    String accessKey,
    String secretKey,
    Path dataDir,
    long spoolMaxBytes,
    Duration requestTimeout,
    Duration retryBackoffMax,
    RetentionPolicy retention) {
  public static final String DEFAULT_BUCKET = "cityvision";
  public static final String DEFAULT_REGION = "us-east-1";
  public static final long DEFAULT_SPOOL_MAX_BYTES = 1L << 30;

  public StorageConfig {
    if (endpoint != null) {
      endpoint = endpoint.strip();
      if (endpoint.isEmpty()) {
        throw new IllegalArgumentException("endpoint must not be blank; use null for embedded");
      }
      if (endpoint.startsWith("http://") || endpoint.startsWith("https://")) {
        boolean https = endpoint.startsWith("https://");
        if (https != secure) {
          throw new IllegalArgumentException(
              "endpoint " + endpoint + " disagrees with secure=" + secure);
        }
        URI.create(endpoint);
      }
      if (accessKey == null || accessKey.isEmpty() || secretKey == null || secretKey.isEmpty()) {
        throw new IllegalArgumentException(
            "an external endpoint needs CITYVISION_S3_ACCESS_KEY and CITYVISION_S3_SECRET_KEY");
      }
    }
    region = region == null ? DEFAULT_REGION : region;
    bucket = bucket == null ? DEFAULT_BUCKET : bucket;
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]") || bucket.contains("..")) {
      throw new IllegalArgumentException(
          "bucket must be an S3 bucket name (3-63 of [a-z0-9.-]), got " + bucket);
    }
    Objects.requireNonNull(dataDir, "dataDir");
    if (spoolMaxBytes < 1 << 20) {
      throw new IllegalArgumentException(
          "spoolMaxBytes must be at least 1 MiB, got " + spoolMaxBytes);
    }
    requireBetween("requestTimeout", requestTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
    requireBetween(
        "retryBackoffMax", retryBackoffMax, Duration.ofMillis(10), Duration.ofMinutes(10));
    Objects.requireNonNull(retention, "retention");
  }

  private static void requireBetween(String what, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, what);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          what + " must be in " + min + ".." + max + ", got " + value);
    }
  }

  /** Embedded S3 server under {@code dataDir}, defaults for everything else. */
  public static StorageConfig embedded(Path dataDir) {
    return new StorageConfig(
        null,
        DEFAULT_REGION,
        DEFAULT_BUCKET,
        false,
        null,
        null,
        dataDir,
        DEFAULT_SPOOL_MAX_BYTES,
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        RetentionPolicy.defaults());
  }

  /**
   * Reads {@code CITYVISION_S3_ENDPOINT} (absent: embedded), {@code CITYVISION_S3_REGION}, {@code
   * CITYVISION_S3_BUCKET}, {@code CITYVISION_S3_SECURE} ({@code true}/{@code false}), {@code
   * CITYVISION_S3_ACCESS_KEY} and {@code CITYVISION_S3_SECRET_KEY} from {@code env}.
   */
  public static StorageConfig fromEnvironment(Map<String, String> env, Path dataDir) {
    String secure = env.getOrDefault("CITYVISION_S3_SECURE", "false").toLowerCase(Locale.ROOT);
    if (!secure.equals("true") && !secure.equals("false")) {
      throw new IllegalArgumentException(
          "CITYVISION_S3_SECURE must be true or false, got " + secure);
    }
    StorageConfig d = embedded(dataDir);
    return new StorageConfig(
        env.get("CITYVISION_S3_ENDPOINT"),
        env.getOrDefault("CITYVISION_S3_REGION", DEFAULT_REGION),
        env.getOrDefault("CITYVISION_S3_BUCKET", DEFAULT_BUCKET),
        Boolean.parseBoolean(secure),
        env.get("CITYVISION_S3_ACCESS_KEY"),
        env.get("CITYVISION_S3_SECRET_KEY"),
        dataDir,
        d.spoolMaxBytes(),
        d.requestTimeout(),
        d.retryBackoffMax(),
        d.retention());
  }

  /** Same configuration against an external endpoint. */
  public StorageConfig withEndpoint(String url, String access, String secret) {
    return new StorageConfig(
        url,
        region,
        bucket,
        url != null && url.startsWith("https://"),
        access,
        secret,
        dataDir,
        spoolMaxBytes,
        requestTimeout,
        retryBackoffMax,
        retention);
  }

  public StorageConfig withBucket(String value) {
    return new StorageConfig(
        endpoint,
        region,
        value,
        secure,
        accessKey,
        secretKey,
        dataDir,
        spoolMaxBytes,
        requestTimeout,
        retryBackoffMax,
        retention);
  }

  public StorageConfig withSpool(long maxBytes, Duration backoffMax) {
    return new StorageConfig(
        endpoint,
        region,
        bucket,
        secure,
        accessKey,
        secretKey,
        dataDir,
        maxBytes,
        requestTimeout,
        backoffMax,
        retention);
  }

  public StorageConfig withRequestTimeout(Duration value) {
    return new StorageConfig(
        endpoint,
        region,
        bucket,
        secure,
        accessKey,
        secretKey,
        dataDir,
        spoolMaxBytes,
        value,
        retryBackoffMax,
        retention);
  }

  public StorageConfig withRetention(RetentionPolicy value) {
    return new StorageConfig(
        endpoint,
        region,
        bucket,
        secure,
        accessKey,
        secretKey,
        dataDir,
        spoolMaxBytes,
        requestTimeout,
        retryBackoffMax,
        value);
  }

  /** Never prints the secret key. */
  @Override
  public String toString() {
    return "StorageConfig[endpoint="
        + (endpoint == null ? "embedded" : endpoint)
        + ", region="
        + region
        + ", bucket="
        + bucket
        + ", secure="
        + secure
        + ", accessKey="
        + accessKey
        + ", secretKey="
        + (secretKey == null ? "null" : "***")
        + ", dataDir="
        + dataDir
        + ", spoolMaxBytes="
        + spoolMaxBytes
        + ", requestTimeout="
        + requestTimeout
        + ", retryBackoffMax="
        + retryBackoffMax
        + ", retention="
        + retention
        + "]";
  }
}
