package org.cityvision.s3server;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

/**
 * An S3-compatible server (S3Proxy 4.1.0, filesystem backend) listening on 127.0.0.1, storing each
 * bucket as a folder under a base directory.
 *
 * <p>Used when no MinIO endpoint is configured, and by tests. What it lacks compared with MinIO:
 * object tagging (501), an atomic {@code If-Match} (S3Proxy checks it, then writes, with a window
 * between), and user metadata in listings. {@code If-None-Match: *} is evaluated by the filesystem
 * backend as it writes, which is what the store's conditional scheme relies on.
 *
 * <h2>Ownership</h2>
 *
 * Whoever calls {@link #start} closes the server; {@link #close} stops Jetty and frees the port.
 * Objects stay on disk, so a new server over the same directory (and port) sees them again.
 *
 * <p>Thread-safe: the server handles requests on its own Jetty threads.
 */
public final class EmbeddedS3Server implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final S3Proxy proxy;
  private final Path baseDir;
  private final String accessKey;
  private final String secretKey;
  private final int port;

  private EmbeddedS3Server(S3Proxy proxy, Path baseDir, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.baseDir = baseDir;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.port = proxy.getPort();
  }

  /**
   * Starts a server on {@code 127.0.0.1:port} ({@code 0} picks a free port) storing under {@code
   * baseDir}, which is created if missing. Requests must be signed with the given keys.
   *
   * @throws IOException if the directory cannot be created or the server does not start
   */
  public static EmbeddedS3Server start(Path baseDir, int port, String accessKey, String secretKey)
      throws IOException {
    Objects.requireNonNull(baseDir, "baseDir");
    Objects.requireNonNull(accessKey, "accessKey");
    Objects.requireNonNull(secretKey, "secretKey");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be in 0..65535, got " + port);
    }
    Path dir = baseDir.toAbsolutePath();
    Files.createDirectories(dir);
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(BlobStores.create("filesystem", props))
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            // No graceful drain: idle keep-alive connections of clients would hold a graceful stop
            // for
            // its whole timeout. A request cut off here fails on the client, which spools it.
            .stopTimeout(0)
            .build();
    try {
      proxy.start();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IOException("embedded S3 server did not start within " + START_TIMEOUT);
        }
        Thread.onSpinWait();
        Thread.yield();
      }
    } catch (IOException e) {
      stopQuietly(proxy);
      throw e;
    } catch (Exception e) {
      stopQuietly(proxy);
      throw new IOException("embedded S3 server failed to start on port " + port, e);
    }
    return new EmbeddedS3Server(proxy, dir, accessKey, secretKey);
  }

  private static void stopQuietly(S3Proxy proxy) {
    try {
      proxy.stop();
    } catch (Exception ignored) {
      // Already failing to start; the start failure is the error worth reporting.
    }
  }

  /** The endpoint URL, {@code http://127.0.0.1:PORT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public Path baseDir() {
    return baseDir;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /** Stops the server; idempotent. */
  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("embedded S3 server on port " + port + " did not stop", e);
    }
  }
}
