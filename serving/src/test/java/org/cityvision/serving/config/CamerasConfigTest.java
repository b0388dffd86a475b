package org.cityvision.serving.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.cityvision.core.quality.CameraHealthConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Camera health settings from the file and the environment, and the start-up errors for bad values.
 */
class CamerasConfigTest {
  @TempDir Path dir;

  @Test
  void settingsReachTheHealthRules() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(
        file,
        "{\"cameras\": {\"frozenAfterSeconds\": 120, \"silentAfterSeconds\": 90},"
            + " \"ingest\": {\"reuseForSeconds\": 60}}");
    ServerConfig c = ConfigLoader.load(file, Map.of("CITYVISION_CAMERAS_SWEEP_SECONDS", "2"), dir);
    CameraHealthConfig health =
        c.cameras().health(Duration.ofSeconds(c.ingest().reuseForSeconds()));
    assertEquals(Duration.ofSeconds(120), health.frozenAfter());
    assertEquals(Duration.ofSeconds(90), health.silentAfter());
    assertEquals(Duration.ofSeconds(60), health.reuseFor());
    assertEquals(2, c.cameras().sweepSeconds());
  }

  @Test
  void defaultsDeriveSilenceFromCadenceAndLeaveGatingOff() throws Exception {
    ServerConfig c = ConfigLoader.load(null, Map.of(), dir);
    CameraHealthConfig health =
        c.cameras().health(Duration.ofSeconds(c.ingest().reuseForSeconds()));
    assertNull(health.silentAfter());
    assertTrue(health.reuseFor().isZero());
  }

  @Test
  void aValueOutOfRangeFailsTheStartNamingTheKey() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\"cameras\": {\"frozenAfterSeconds\": 5}}");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of(), dir));
    assertTrue(e.getMessage().contains("cameras.frozenAfterSeconds"), e.getMessage());
    ConfigException reuse =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.load(null, Map.of("CITYVISION_INGEST_REUSE_FOR_SECONDS", "-1"), dir));
    assertTrue(reuse.getMessage().contains("ingest.reuseForSeconds"), reuse.getMessage());
  }

  @Test
  void healthWritesWaitAtMostAThirdOfTheShortestSilenceLimit() throws Exception {
    ServerConfig defaults = ConfigLoader.load(null, Map.of(), dir);
    assertEquals(20, defaults.cameras().healthWriteSeconds());
    // Derived silence limits are at least 60 s (silentMin): a third of that is the default.
    assertEquals(
        Duration.ofSeconds(20),
        defaults.cameras().healthWriteEvery(defaults.cameras().health(Duration.ZERO)));
    ServerConfig quick =
        ConfigLoader.load(
            null,
            Map.of(
                "CITYVISION_CAMERAS_SILENT_AFTER_SECONDS", "15",
                "CITYVISION_CAMERAS_HEALTH_WRITE_SECONDS", "10"),
            dir);
    assertEquals(
        Duration.ofSeconds(5),
        quick.cameras().healthWriteEvery(quick.cameras().health(Duration.ZERO)));
    ServerConfig off =
        ConfigLoader.load(null, Map.of("CITYVISION_CAMERAS_HEALTH_WRITE_SECONDS", "0"), dir);
    assertTrue(off.cameras().healthWriteEvery(off.cameras().health(Duration.ZERO)).isZero());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.load(
                    null, Map.of("CITYVISION_CAMERAS_HEALTH_WRITE_SECONDS", "-5"), dir));
    assertTrue(e.getMessage().contains("cameras.healthWriteSeconds"), e.getMessage());
  }

  @Test
  void staticFramesIsStoreByDefaultMetadataOnRequestAndNothingElse() throws Exception {
    assertEquals(
        StaticFrames.STORE, ConfigLoader.load(null, Map.of(), dir).ingest().staticFrames());
    Path file = dir.resolve("meta.json");
    Files.writeString(
        file, "{\"ingest\": {\"reuseForSeconds\": 60, \"staticFrames\": \"metadata\"}}");
    assertEquals(
        StaticFrames.METADATA, ConfigLoader.load(file, Map.of(), dir).ingest().staticFrames());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.load(
                    null, Map.of("CITYVISION_INGEST_STATIC_FRAMES", "sometimes"), dir));
    assertTrue(
        e.getMessage().contains("ingest.staticFrames must be store or metadata"), e.getMessage());
  }
}
