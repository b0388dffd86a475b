package org.cityvision.app.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store a command uses: the configured endpoint, or an embedded server of its own. */
class StorageEndpointTest {
  @TempDir Path data;

  private FrameStore open(StorageEndpoint endpoint) throws Exception {
    return FrameStores.open(endpoint.config().storage().storageConfig(data, endpoint.secrets()));
  }

  @Test
  void runsAnEmbeddedServerUnderTheDataDirectoryWhenNoEndpointIsConfigured() throws Exception {
    ServerConfig config = ServerConfig.defaults(Home.root()).withData(data);
    FrameRecord frame;
    try (StorageEndpoint endpoint = StorageEndpoint.of(config, Secrets.NONE);
        FrameStore store = open(endpoint)) {
      assertTrue(endpoint.embedded());
      assertTrue(
          endpoint.config().storage().endpoint().startsWith("http://127.0.0.1:"),
          endpoint.config().storage().endpoint());
      assertNotNull(endpoint.secrets().s3AccessKey());
      assertNotNull(endpoint.secrets().s3SecretKey());
      frame =
          store.putFrame(
              new FrameUpload(
                  "cam-1",
                  Instant.parse("2026-11-05T08:00:00Z"),
                  "image/jpeg",
                  TestImages.jpeg(64, 48, 1),
                  null));
    }
    assertTrue(Files.isDirectory(data.resolve("s3").resolve("cityvision")));
    try (StorageEndpoint again = StorageEndpoint.of(config, Secrets.NONE);
        FrameStore reopened = open(again)) {
      assertEquals(frame.sha256(), reopened.frame(frame.frameId()).sha256());
    }
  }

  @Test
  void leavesAConfiguredEndpointAndItsKeysAsTheyAre() throws Exception {
    ServerConfig config = ServerConfig.defaults(Home.root()).withData(data);
    config = config.withStorage(config.storage().withEndpoint("http://minio.internal:9000"));
    Secrets secrets = new Secrets(null, "access", "secret-key");
    try (StorageEndpoint endpoint = StorageEndpoint.of(config, secrets)) {
      assertFalse(endpoint.embedded());
      assertSame(config, endpoint.config());
      assertSame(secrets, endpoint.secrets());
    }
    assertFalse(Files.exists(data.resolve("s3")));
  }
}
