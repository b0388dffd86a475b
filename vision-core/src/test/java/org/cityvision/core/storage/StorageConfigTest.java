package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.cityvision.core.frame.FrameId;
import org.junit.jupiter.api.Test;

/** Configuration and identifiers reject what the store could not handle safely. */
class StorageConfigTest {
  private static final Path DATA = Path.of("data");

  @Test
  void readsExternalMinioFromTheEnvironmentAndNeverPrintsTheSecret() {
    StorageConfig config =
        StorageConfig.fromEnvironment(
            Map.of(
                "CITYVISION_S3_ENDPOINT", "minio.internal:9000",
                "CITYVISION_S3_SECURE", "true",
                "CITYVISION_S3_BUCKET", "city-frames",
                "CITYVISION_S3_ACCESS_KEY", "ak",
                "CITYVISION_S3_SECRET_KEY", "very-secret"),
            DATA);

    assertEquals("minio.internal:9000", config.endpoint());
    assertTrue(config.secure());
    assertEquals("city-frames", config.bucket());
    assertEquals("us-east-1", config.region());
    assertFalse(config.toString().contains("very-secret"));
  }

  @Test
  void usesTheEmbeddedServerWhenNoEndpointIsSet() {
    StorageConfig config = StorageConfig.fromEnvironment(Map.of(), DATA);

    assertNull(config.endpoint());
    assertEquals("cityvision", config.bucket());
  }

  @Test
  void rejectsExternalEndpointWithoutKeysAndInvalidBuckets() {
    assertThrows(
        IllegalArgumentException.class,
        () -> StorageConfig.fromEnvironment(Map.of("CITYVISION_S3_ENDPOINT", "minio:9000"), DATA));
    assertThrows(
        IllegalArgumentException.class,
        () -> StorageConfig.embedded(DATA).withBucket("Not_A_Bucket"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            StorageConfig.embedded(DATA)
                .withEndpoint("https://minio:9000", "a", "b")
                .withSpool(10, Duration.ofSeconds(1)));
  }

  @Test
  void frameIdRoundTripsAndRejectsPathTricks() {
    FrameId id = FrameId.generate("cam-7", Instant.parse("2025-06-01T08:30:00.123Z"));

    assertEquals(id, FrameId.parse(id.value()));
    assertThrows(
        IllegalArgumentException.class,
        () -> FrameId.parse("cam/../x.20250601T083000123Z.0123456789ab"));
    assertThrows(IllegalArgumentException.class, () -> FrameId.parse("cam.2025.x"));
  }
}
