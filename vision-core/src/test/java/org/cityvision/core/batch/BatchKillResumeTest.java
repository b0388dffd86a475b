package org.cityvision.core.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A batch job killed midway (a real process kill) and resumed classifies every frame once. */
class BatchKillResumeTest {
  private static final int FRAMES = 200;
  private static final String PREFIX = "frames/cam-7/2026/11/";

  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void jobKilledMidwayThenResumedClassifiesEveryFrameExactlyOnce() throws Exception {
    ModelPackage pkg =
        BatchFixture.urbanPackage(Files.createDirectories(dir.resolve("model")), 160);
    String bucket = BatchFixture.bucket("kill-resume");
    try (EmbeddedS3Server server = BatchFixture.server(dir.resolve("s3"));
        FrameStore store = BatchFixture.open(server.endpoint(), dir.resolve("parent"), bucket)) {
      List<String> ids = BatchFixture.storeFrames(store, "cam-7", FRAMES, 320, 240, 1);

      String jobId = runChildAndKillIt(server.endpoint(), bucket, pkg.dir());

      Map<String, Instant> beforeKill = new HashMap<>();
      for (String id : ids) {
        List<ResultRecord> r = BatchFixture.resultsOf(store, id, "urban", "0.0.1-test");
        if (!r.isEmpty()) {
          beforeKill.put(id, r.get(0).classifiedAt());
        }
      }
      assertTrue(
          beforeKill.size() > 0 && beforeKill.size() < FRAMES,
          "the kill must land midway, but " + beforeKill.size() + " frames had results");
      JobLedger ledger = new JobLedger(store);
      assertEquals(
          JobStatus.RUNNING,
          ledger.load(jobId).orElseThrow().status(),
          "a killed job cannot have said goodbye");

      BatchProgress end;
      try (Classifier classifier = Classifier.open(pkg, BatchFixture.classifierOptions())) {
        end =
            BatchJob.resume(
                    store, classifier, jobId, BatchOptions.defaults(), Clock.systemUTC(), true)
                .run(p -> {});
      }

      assertEquals(JobStatus.DONE, end.status());
      assertEquals(FRAMES, end.counts().listed());
      assertEquals(FRAMES, end.counts().classified() + end.counts().skipped());
      assertEquals(0, end.counts().failed());
      for (String id : ids) {
        List<ResultRecord> r = BatchFixture.resultsOf(store, id, "urban", "0.0.1-test");
        assertEquals(1, r.size(), "one result per model version for " + id);
        if (beforeKill.containsKey(id)) {
          assertEquals(
              beforeKill.get(id),
              r.get(0).classifiedAt(),
              "a frame classified before the kill is not classified again: " + id);
        }
      }
    }
  }

  /** Starts the child, waits until it has processed a few frames, kills it; returns the job id. */
  private String runChildAndKillIt(String endpoint, String bucket, Path modelDir) throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-Dai.djl.offline=true",
                "-Djava.awt.headless=true",
                "-cp",
                classpath,
                BatchChildProcess.class.getName(),
                endpoint,
                bucket,
                dir.resolve("child").toString(),
                modelDir.toString(),
                PREFIX)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("OPT_OUT_TRACKING", "true");
    Process child = builder.start();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String jobId = null;
      for (String line; (line = lines.readLine()) != null; ) {
        if (line.startsWith("JOB ")) {
          jobId = line.substring(4);
        } else if (line.startsWith("PROGRESS ") && Long.parseLong(line.substring(9)) >= 30) {
          break;
        }
      }
      assertNotNull(jobId, "the child never started its job");
      return jobId;
    } finally {
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
  }
}
