package org.cityvision.core.storage;

import java.time.Clock;

/** Opens a {@link FrameStore} from a {@link StorageConfig}. */
public final class FrameStores {
  private FrameStores() {}

  /**
   * Opens the store against the configured endpoint. Opens the spool under {@code dataDir/spool},
   * replays what a previous process left there, and creates the bucket if missing.
   *
   * <p>The caller closes the returned store. A node with no endpoint configured runs an embedded S3
   * server (module {@code embedded-s3}) and passes its endpoint here; the app decides that.
   *
   * @throws StorageException if no endpoint is configured or the spool directory is held by another
   *     process. An unreachable MinIO is not an error: the store opens degraded and spools writes
   *     until it answers.
   */
  public static FrameStore open(StorageConfig config) throws StorageException {
    return open(config, Clock.systemUTC());
  }

  /** {@link #open(StorageConfig)} with the clock the store dates its records by (tests, tools). */
  public static MinioFrameStore open(StorageConfig config, Clock clock) throws StorageException {
    if (config.endpoint() == null) {
      throw new StoreUnavailableException(
          "no storage endpoint configured (the cityvision command starts an embedded S3 server"
              + " under the data directory when there is none)");
    }
    String endpoint = config.endpoint();
    if (!endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
      endpoint = (config.secure() ? "https://" : "http://") + endpoint;
    }
    return MinioFrameStore.open(config, endpoint, config.accessKey(), config.secretKey(), clock);
  }
}
