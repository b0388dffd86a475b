package org.cityvision.app.storage;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;

/**
 * The store a command works against: the configured endpoint, or, when none is configured, an
 * embedded S3 server under {@code DATA/s3} on a free loopback port, with credentials generated for
 * this run. {@link #config()} and {@link #secrets()} carry the endpoint and keys either way.
 *
 * <h2>Ownership</h2>
 *
 * Whoever calls {@link #of} closes it, after the store or node that uses it: closing stops the
 * embedded server (objects stay on disk for the next run).
 */
public final class StorageEndpoint implements AutoCloseable {
  private final EmbeddedS3Server server;
  private final ServerConfig config;
  private final Secrets secrets;

  private StorageEndpoint(EmbeddedS3Server server, ServerConfig config, Secrets secrets) {
    this.server = server;
    this.config = config;
    this.secrets = secrets;
  }

  /**
   * Starts the embedded server if {@code config} names no endpoint.
   *
   * @throws StoreUnavailableException if the embedded server cannot start
   */
  public static StorageEndpoint of(ServerConfig config, Secrets secrets)
      throws StoreUnavailableException {
    if (!config.storage().endpoint().isEmpty()) {
      return new StorageEndpoint(null, config, secrets);
    }
    SecureRandom random = new SecureRandom();
    String access = "cv" + hex(random, 8);
    String secret = hex(random, 20);
    EmbeddedS3Server server;
    try {
      server = EmbeddedS3Server.start(config.data().resolve("s3"), 0, access, secret);
    } catch (IOException e) {
      throw new StoreUnavailableException("cannot start the embedded S3 server", e);
    }
    return new StorageEndpoint(
        server,
        config.withStorage(config.storage().withEndpoint(server.endpoint())),
        secrets.withS3Keys(access, secret));
  }

  private static String hex(SecureRandom random, int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Whether this process runs the store's server (no endpoint was configured). */
  public boolean embedded() {
    return server != null;
  }

  /** The configuration with the endpoint set. */
  public ServerConfig config() {
    return config;
  }

  /** The secrets with the store's keys. */
  public Secrets secrets() {
    return secrets;
  }

  /** Stops the embedded server, if this process runs one; idempotent. */
  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
