package org.cityvision.core.storage;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import org.cityvision.core.storage.embedded.EmbeddedS3Server;

/** Opens a {@link FrameStore} from a {@link StorageConfig}. */
public final class FrameStores {
  private FrameStores() {}

  /**
   * Opens the store. With no endpoint configured, first starts an embedded S3 server on 127.0.0.1
   * (any free port) storing under {@code dataDir/s3}, with credentials generated for this run; the
   * store owns it and stops it on close. Then opens the spool under {@code dataDir/spool}, replays
   * what a previous process left there, and creates the bucket if missing.
   *
   * <p>The caller closes the returned store.
   *
   * @throws StorageException if the embedded server cannot start or the spool directory is held by
   *     another process. An unreachable external MinIO is not an error: the store opens degraded
   *     and spools writes until it answers.
   */
  public static FrameStore open(StorageConfig config) throws StorageException {
    return open(config, Clock.systemUTC());
  }

  /** {@link #open(StorageConfig)} with the clock the store dates its records by (tests, tools). */
  public static MinioFrameStore open(StorageConfig config, Clock clock) throws StorageException {
    if (config.endpoint() != null) {
      String endpoint = config.endpoint();
      if (!endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
        endpoint = (config.secure() ? "https://" : "http://") + endpoint;
      }
      return MinioFrameStore.open(
          config, endpoint, config.accessKey(), config.secretKey(), null, clock);
    }
    SecureRandom random = new SecureRandom();
    String access = "cv" + HexFormat.of().formatHex(bytes(random, 8));
    String secret = HexFormat.of().formatHex(bytes(random, 20));
    EmbeddedS3Server server;
    try {
      server = EmbeddedS3Server.start(config.dataDir().resolve("s3"), 0, access, secret);
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot start the embedded S3 server", e);
    }
    try {
      return MinioFrameStore.open(config, server.endpoint(), access, secret, server, clock);
    } catch (StorageException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private static byte[] bytes(SecureRandom random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
