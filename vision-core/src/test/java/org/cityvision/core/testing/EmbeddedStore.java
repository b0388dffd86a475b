package org.cityvision.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.storage.StorageException;
import org.cityvision.s3server.EmbeddedS3Server;

/**
 * The store of a data directory as the {@code cityvision} command opens it when no endpoint is
 * configured: an embedded S3 server over {@code DATA/s3}, the spool under {@code DATA/spool}.
 * Closing closes the store, then the server; the objects stay for the next opener.
 */
public final class EmbeddedStore implements AutoCloseable {
  private final EmbeddedS3Server server;
  private final FrameStore store;

  private EmbeddedStore(EmbeddedS3Server server, FrameStore store) {
    this.server = server;
    this.store = store;
  }

  public static EmbeddedStore open(Path data) throws IOException, StorageException {
    EmbeddedS3Server server = EmbeddedS3Server.start(data.resolve("s3"), 0, "test", "test-secret");
    try {
      return new EmbeddedStore(
          server,
          FrameStores.open(
              StorageConfig.embedded(data)
                  .withEndpoint(server.endpoint(), server.accessKey(), server.secretKey())));
    } catch (StorageException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  public FrameStore store() {
    return store;
  }

  @Override
  public void close() throws StorageException {
    try {
      store.close();
    } finally {
      server.close();
    }
  }
}
