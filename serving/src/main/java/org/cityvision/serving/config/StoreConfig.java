package org.cityvision.serving.config;

import java.nio.file.Path;
import java.time.Duration;
import org.cityvision.core.storage.StorageConfig;

/**
 * The store (non-secret parts; access and secret keys come from the environment only).
 *
 * @param endpoint MinIO URL or {@code host:port}; empty: the {@code cityvision} command starts an
 *     embedded S3 server under the data directory and sets its endpoint here
 * @param spoolDrainMs at shutdown, how long to wait for the spool to reach MinIO
 */
public record StoreConfig(
    String endpoint,
    String region,
    String bucket,
    boolean secure,
    long spoolMaxBytes,
    long requestTimeoutMs,
    long spoolDrainMs) {
  public StoreConfig {
    endpoint = endpoint == null ? "" : endpoint.strip();
    region = Bounds.requireText("storage.region", region);
    bucket = Bounds.requireText("storage.bucket", bucket);
    Bounds.require("storage.spoolMaxBytes", spoolMaxBytes, 1L << 20, 1L << 50);
    Bounds.require("storage.requestTimeoutMs", requestTimeoutMs, 100, 300_000);
    Bounds.require("storage.spoolDrainMs", spoolDrainMs, 0, 600_000);
  }

  static StoreConfig defaults() {
    return new StoreConfig(
        "",
        StorageConfig.DEFAULT_REGION,
        StorageConfig.DEFAULT_BUCKET,
        false,
        StorageConfig.DEFAULT_SPOOL_MAX_BYTES,
        10_000,
        10_000);
  }

  public StoreConfig withEndpoint(String value) {
    return new StoreConfig(
        value, region, bucket, secure, spoolMaxBytes, requestTimeoutMs, spoolDrainMs);
  }

  /** The core storage configuration for a data directory and the secrets from the environment. */
  public StorageConfig storageConfig(Path dataDir, Secrets secrets) {
    StorageConfig base = StorageConfig.embedded(dataDir);
    return new StorageConfig(
        endpoint.isEmpty() ? null : endpoint,
        region,
        bucket,
        secure,
        secrets.s3AccessKey(),
        secrets.s3SecretKey(),
        dataDir,
        spoolMaxBytes,
        Duration.ofMillis(requestTimeoutMs),
        base.retryBackoffMax(),
        base.retention());
  }
}
