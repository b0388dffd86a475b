package org.cityvision.serving.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void defaultsListenOnLoopbackWithMeasuredInferenceSettings() throws Exception {
    ServerConfig c = ConfigLoader.load(null, Map.of(), dir);
    assertEquals("127.0.0.1", c.http().host());
    assertEquals(8080, c.http().port());
    assertEquals(10L * 1024 * 1024, c.http().bodyLimitBytes());
    assertEquals(1, c.inference().torchThreads());
    assertEquals(1, c.inference().maxBatch());
    assertTrue(c.models().required());
  }

  @Test
  void fileThenEnvironmentOverride() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(
        file,
        "{\"http\": {\"port\": 9000, \"bodyLimitBytes\": 2048},"
            + " \"inference\": {\"workers\": 1}, \"ingest\": {\"unknownCameras\": \"refuse\", \"cameras\": [\"a\"]}}");
    ServerConfig c =
        ConfigLoader.load(
            file,
            Map.of(
                "CITYVISION_PORT",
                "9001",
                "CITYVISION_INFERENCE_TORCH_THREADS",
                "2",
                "CITYVISION_INGEST_CAMERAS",
                "a, b",
                "CITYVISION_DATA",
                dir.resolve("d").toString()),
            dir);
    assertEquals(9001, c.http().port());
    assertEquals(2048, c.http().bodyLimitBytes());
    assertEquals(1, c.inference().workers());
    assertEquals(2, c.inference().torchThreads());
    assertEquals(UnknownCameras.REFUSE, c.ingest().unknownCameras());
    assertEquals(List.of("a", "b"), c.ingest().cameras());
    assertEquals(dir.resolve("d"), c.data());
  }

  @Test
  void unknownKeyInFileIsAnError() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"http\": {\"prot\": 9000}}");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of(), dir));
    assertTrue(e.getMessage().contains("prot"), e.getMessage());
  }

  @Test
  void outOfRangeValueNamesTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("CITYVISION_INFERENCE_WORKERS", "0"), dir));
    assertTrue(e.getMessage().contains("inference.workers"), e.getMessage());
  }

  @Test
  void featuresAreKeptByDefaultAndTurnedOffInTheFileOrEnvironment() throws Exception {
    assertTrue(ConfigLoader.load(null, Map.of(), dir).features().keep());
    Path file = dir.resolve("features.json");
    Files.writeString(file, "{\"features\": {\"keep\": false}}");
    assertFalse(ConfigLoader.load(file, Map.of(), dir).features().keep());
    assertFalse(
        ConfigLoader.load(null, Map.of("CITYVISION_FEATURES_KEEP", "false"), dir)
            .features()
            .keep());
    Files.writeString(file, "{\"features\": {\"keep\": false, \"dims\": 3}}");
    assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of(), dir));
  }

  @Test
  void theReopenWindowDefaultsToTenMinutesAndIsSetInTheFileOrEnvironmentWithinItsRange()
      throws Exception {
    assertEquals(
        Duration.ofMinutes(10), ConfigLoader.load(null, Map.of(), dir).review().reopenWindow());
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"review\": {\"reopenMinutes\": 30}}");
    assertEquals(30, ConfigLoader.load(file, Map.of(), dir).review().reopenMinutes());
    assertEquals(
        5,
        ConfigLoader.load(file, Map.of("CITYVISION_REVIEW_REOPEN_MINUTES", "5"), dir)
            .review()
            .reopenMinutes());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("CITYVISION_REVIEW_REOPEN_MINUTES", "0"), dir));
    assertTrue(e.getMessage().contains("review.reopenMinutes"), e.getMessage());
  }

  @Test
  void nonNumberInEnvironmentIsAnError() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("CITYVISION_PORT", "eighty"), dir));
    assertTrue(e.getMessage().contains("CITYVISION_PORT"), e.getMessage());
  }

  @Test
  void misspelledEnvironmentSettingIsAnError() {
    assertThrows(
        ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("CITYVISION_HTTP_PROT", "1"), dir));
  }

  @Test
  void logLevelsComeFromTheFileAndTheEnvironment() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(
        file,
        "{\"log\": {\"level\": \"WARN\", \"levels\": {\"org.gaul\": \"info\", \"ai.djl\": \"debug\"}}}");
    ServerConfig c = ConfigLoader.load(file, Map.of("CITYVISION_LOG_LEVEL", "error"), dir);
    assertEquals("error", c.log().level());
    assertEquals(Map.of("org.gaul", "info", "ai.djl", "debug"), c.log().levels());
    assertEquals("info", ConfigLoader.load(null, Map.of(), dir).log().level());
  }

  @Test
  void unknownLogLevelNamesTheKeyAndTheLevel() throws Exception {
    ConfigException env =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.load(null, Map.of("CITYVISION_LOG_LEVEL", "loud"), dir));
    assertTrue(
        env.getMessage().contains("log.level") && env.getMessage().contains("'loud'"),
        env.getMessage());
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"log\": {\"levels\": {\"ai.djl\": \"chatty\"}}}");
    ConfigException level =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of(), dir));
    assertTrue(
        level.getMessage().contains("log.levels.ai.djl") && level.getMessage().contains("'chatty'"),
        level.getMessage());
    Files.writeString(file, "{\"log\": {\"levels\": {\"not a logger\": \"info\"}}}");
    ConfigException name =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Map.of(), dir));
    assertTrue(name.getMessage().contains("'not a logger'"), name.getMessage());
  }

  @Test
  void secretsNeverPrint() {
    Secrets s = new Secrets("a-very-secret-admin-key", "access", "secret-key");
    assertTrue(!s.toString().contains("secret-key") && !s.toString().contains("a-very-secret"));
  }

  @Test
  void everySettingHasAnEnvironmentName() {
    Map<String, String> names = ConfigLoader.environmentNames(dir);
    assertEquals("http.bodyLimitBytes", names.get("CITYVISION_HTTP_BODY_LIMIT_BYTES"));
    assertEquals("data", names.get("CITYVISION_DATA"));
    assertEquals("http.port", names.get("CITYVISION_PORT"));
  }
}
