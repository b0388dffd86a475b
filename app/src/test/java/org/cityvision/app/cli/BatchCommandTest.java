package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.cityvision.core.batch.BatchCounts;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.batch.FailureKind;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.testing.EmbeddedStore;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cityvision batch} in-process, over the embedded store of a data directory. */
class BatchCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  static ModelPackage pkg;
  static Path data;

  @BeforeAll
  static void storeFramesAndModel() throws Exception {
    pkg =
        TestModels.untrainedPackage(
            Files.createDirectories(dir.resolve("urban")),
            "urban",
            List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal"),
            160);
    data = dir.resolve("data");
    try (EmbeddedStore embedded = EmbeddedStore.open(data)) {
      FrameStore store = embedded.store();
      for (int i = 0; i < 5; i++) {
        store.putFrame(
            new FrameUpload(
                "cam-7",
                Instant.parse("2026-11-05T08:00:00Z").plusSeconds(i),
                "image/jpeg",
                TestImages.jpeg(320, 240, i),
                null));
      }
    }
  }

  @Test
  void classifiesThePrefixThenSkipsItOnReRunAndPrintsTheJobAsJson() throws Exception {
    String[] args = {
      "batch",
      "--task",
      "urban",
      "--model",
      pkg.dir().toString(),
      "--prefix",
      "frames/cam-7/",
      "--data",
      data.toString(),
      "--json"
    };

    CliRun first = run(args);
    CliRun second = run(args);

    assertEquals(0, first.exit(), first.err());
    JsonNode a = JSON.readTree(first.out());
    assertEquals("done", a.path("state").asText());
    assertEquals(5, a.path("classified").asInt());
    assertTrue(first.err().contains("classified 5 skipped 0 failed 0  done"), first.err());
    assertEquals(0, second.exit(), second.err());
    JsonNode b = JSON.readTree(second.out());
    assertEquals(0, b.path("classified").asInt());
    assertEquals(5, b.path("skipped").asInt());

    CliRun resumeDone =
        run(
            "batch",
            "--resume",
            a.path("jobId").asText(),
            "--model",
            pkg.dir().toString(),
            "--data",
            data.toString());
    assertEquals(2, resumeDone.exit());
    assertTrue(resumeDone.err().contains("is done"), resumeDone.err());
  }

  @Test
  void refusesUsageWithoutPrefixOrWithAPrefixOutsideFrames() {
    assertEquals(2, run("batch", "--task", "urban").exit());
    CliRun outside = run("batch", "--task", "urban", "--prefix", "results/");
    assertEquals(2, outside.exit());
    assertTrue(outside.err().contains("prefix must start with frames/"), outside.err());
  }

  @Test
  void progressLineShowsBarRateEtaAndCounts() {
    BatchProgress p =
        new BatchProgress(
            "job-1",
            new BatchRequest("urban", "frames/", false),
            "urban",
            "1.0",
            JobStatus.RUNNING,
            200,
            new BatchCounts(120, 90, 5, 5, Map.of(FailureKind.CORRUPT_OBJECT, 5L)),
            List.of(),
            25.0,
            4,
            null,
            BatchCounts.ZERO,
            false,
            null,
            Instant.EPOCH,
            Instant.EPOCH);

    assertEquals(
        "[###############---------------]  50% 100/200  25.0 frames/s  ETA 0:00:04"
            + "  classified 90 skipped 5 failed 5",
        BatchCommand.ProgressBar.render(p));
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }
}
