package org.cityvision.core.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

class BatchJobTest {
  @TempDir static Path shared;
  static EmbeddedS3Server server;
  static ModelPackage pkg;
  static Classifier classifier;

  @TempDir Path dataDir;
  String bucket;
  FrameStore store;

  static final BatchOptions OPTIONS =
      BatchOptions.defaults()
          .withParallelism(6)
          .withPageSize(7)
          .withCheckpointEvery(Duration.ofMillis(50));

  @BeforeAll
  static void startServerAndModel() throws Exception {
    pkg = BatchFixture.urbanPackage(Files.createDirectories(shared.resolve("model")), 160);
    classifier = Classifier.open(pkg, BatchFixture.classifierOptions());
    server = BatchFixture.server(shared.resolve("s3"));
  }

  @AfterAll
  static void stopServerAndModel() {
    if (classifier != null) {
      classifier.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void openStore(TestInfo test) throws Exception {
    bucket = BatchFixture.bucket(test.getTestMethod().orElseThrow().getName());
    store = BatchFixture.open(server.endpoint(), dataDir, bucket);
  }

  @AfterEach
  void closeStore() throws Exception {
    store.close();
  }

  private BatchProgress run(BatchRequest request) throws Exception {
    return BatchJob.create(store, classifier, request, OPTIONS, Clock.systemUTC()).run(p -> {});
  }

  @Test
  void classifiesEveryFrameUnderThePrefixOnceInTheSharedResultFormat() throws Exception {
    List<String> inPrefix = BatchFixture.storeFrames(store, "cam-7", 20, 320, 240, 1);
    List<String> elsewhere = BatchFixture.storeFrames(store, "cam-8", 5, 320, 240, 100);

    BatchProgress end = run(new BatchRequest("urban", "frames/cam-7/2026/11/", false));

    assertEquals(JobStatus.DONE, end.status());
    assertEquals(new BatchCounts(20, 20, 0, 0, Map.of()), end.counts());
    assertEquals(20, end.total());
    for (String id : inPrefix) {
      List<ResultRecord> results = BatchFixture.resultsOf(store, id, "urban", "0.0.1-test");
      assertEquals(1, results.size(), id);
      JsonNode payload = results.get(0).payload();
      assertEquals("urban", payload.path("model").asText());
      assertEquals("0.0.1-test", payload.path("version").asText());
      assertTrue(BatchFixture.URBAN_LABELS.contains(payload.path("label").asText()));
      assertEquals(5, payload.path("probabilities").size());
    }
    for (String id : elsewhere) {
      assertTrue(store.results(id).isEmpty(), "frames outside the prefix are left alone");
    }
    BatchProgress stored = new JobLedger(store).load(end.jobId()).orElseThrow();
    assertEquals(JobStatus.DONE, stored.status());
    assertEquals(end.counts(), stored.counts());
    assertEquals("0.0.1-test", stored.version());
  }

  @Test
  void reRunSkipsFramesThatAlreadyHaveAResultOfThatModelVersion() throws Exception {
    List<String> ids = BatchFixture.storeFrames(store, "cam-7", 12, 320, 240, 1);
    BatchRequest request = new BatchRequest("urban", "frames/cam-7/", false);
    run(request);
    Map<String, ResultRecord> first = new HashMap<>();
    for (String id : ids) {
      first.put(id, BatchFixture.resultsOf(store, id, "urban", "0.0.1-test").get(0));
    }

    BatchProgress again = run(request);

    assertEquals(new BatchCounts(12, 0, 12, 0, Map.of()), again.counts());
    for (String id : ids) {
      assertEquals(
          first.get(id).classifiedAt(),
          BatchFixture.resultsOf(store, id, "urban", "0.0.1-test").get(0).classifiedAt(),
          "a re-run must not write the result again");
    }
  }

  @Test
  void corruptObjectsAreReportedWithReasonsAndTheJobGoesOn() throws Exception {
    List<String> good = BatchFixture.storeFrames(store, "cam-7", 8, 320, 240, 1);
    byte[] jpeg = TestImages.jpeg(320, 240, 50);
    FrameRecord truncated =
        BatchFixture.storeBytes(
            store,
            "cam-7",
            BatchFixture.DAY.plusSeconds(100),
            Arrays.copyOf(jpeg, jpeg.length / 2));
    FrameRecord notAnImage =
        BatchFixture.storeBytes(
            store,
            "cam-7",
            BatchFixture.DAY.plusSeconds(101),
            "<html>not a frame</html>".getBytes(StandardCharsets.UTF_8));
    FrameRecord rotten =
        BatchFixture.storeBytes(
            store, "cam-7", BatchFixture.DAY.plusSeconds(102), TestImages.jpeg(320, 240, 51));
    BatchFixture.corruptInPlace(
        server.endpoint(), bucket, rotten.key(), TestImages.jpeg(320, 240, 52));

    BatchProgress end = run(new BatchRequest("urban", "frames/cam-7/", false));

    assertEquals(JobStatus.DONE, end.status());
    assertEquals(11, end.counts().listed());
    assertEquals(8, end.counts().classified());
    assertEquals(3, end.counts().failed());
    assertEquals(
        Map.of(FailureKind.UNREADABLE_IMAGE, 2L, FailureKind.CORRUPT_OBJECT, 1L),
        end.counts().failedBy());
    Map<String, FailureKind> reported =
        end.failures().stream()
            .collect(Collectors.toMap(FrameFailure::frameId, FrameFailure::kind));
    assertEquals(
        Map.of(
            truncated.frameId(),
            FailureKind.UNREADABLE_IMAGE,
            notAnImage.frameId(),
            FailureKind.UNREADABLE_IMAGE,
            rotten.frameId(),
            FailureKind.CORRUPT_OBJECT),
        reported);
    end.failures().forEach(f -> assertFalse(f.reason().isBlank()));
    for (String id : good) {
      assertEquals(1, BatchFixture.resultsOf(store, id, "urban", "0.0.1-test").size());
    }
    assertTrue(store.results(rotten.frameId()).isEmpty());
    BatchProgress stored = new JobLedger(store).load(end.jobId()).orElseThrow();
    assertEquals(end.failures(), stored.failures(), "any node can report the reasons");
  }

  @Test
  void flagsFramesThroughTheModelsFlagPolicyOnlyWhenAsked() throws Exception {
    List<String> flagged = BatchFixture.storeFrames(store, "cam-1", 6, 320, 240, 1);
    List<String> unflagged = BatchFixture.storeFrames(store, "cam-2", 3, 320, 240, 10);

    run(new BatchRequest("urban", "frames/cam-1/", true));
    run(new BatchRequest("urban", "frames/cam-2/", false));

    for (String id : flagged) {
      JsonNode p =
          BatchFixture.resultsOf(store, id, "urban", "0.0.1-test")
              .get(0)
              .payload()
              .path("probabilities");
      double pothole = p.path("pothole_road_damage").asDouble();
      double graffiti = p.path("graffiti").asDouble();
      FlagRecord flag = store.flag(id);
      assertEquals(pothole >= graffiti ? "pothole_road_damage" : "graffiti", flag.label());
      assertEquals(Math.max(pothole, graffiti), flag.score(), 1e-5);
      assertEquals("0.0.1-test", flag.modelVersion());
    }
    for (String id : unflagged) {
      assertThrows(ObjectNotFoundException.class, () -> store.flag(id));
    }
  }

  @Test
  void cancelFromTheStoreStopsTheJobAndResumeFinishesIt() throws Exception {
    List<String> ids = BatchFixture.storeFrames(store, "cam-7", 60, 320, 240, 1);
    BatchOptions slow = OPTIONS.withParallelism(2).withPageSize(5);
    BatchJob job =
        BatchJob.create(
            store,
            classifier,
            new BatchRequest("urban", "frames/cam-7/", false),
            slow,
            Clock.systemUTC());
    JobLedger otherNode = new JobLedger(store);
    List<Long> seen = new ArrayList<>();

    BatchProgress end =
        job.run(
            p -> {
              seen.add(p.counts().processed());
              if (p.counts().processed() > 0 && !p.finished()) {
                try {
                  otherNode.requestCancel(job.jobId(), Instant.now());
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              }
            });

    assertEquals(JobStatus.CANCELLED, end.status());
    assertTrue(end.counts().processed() < 60, "stopped early, after " + end.counts().processed());
    assertEquals(JobStatus.CANCELLED, otherNode.load(job.jobId()).orElseThrow().status());

    BatchProgress resumed =
        BatchJob.resume(store, classifier, job.jobId(), slow, Clock.systemUTC(), false)
            .run(p -> {});

    assertEquals(JobStatus.DONE, resumed.status());
    assertEquals(60, resumed.counts().listed());
    assertEquals(60, resumed.counts().classified() + resumed.counts().skipped());
    Set<Integer> resultCounts = new HashSet<>();
    for (String id : ids) {
      resultCounts.add(BatchFixture.resultsOf(store, id, "urban", "0.0.1-test").size());
    }
    assertEquals(Set.of(1), resultCounts);
  }

  @Test
  void resumeRefusesAJobThatIsDone() throws Exception {
    BatchFixture.storeFrames(store, "cam-7", 2, 320, 240, 1);
    BatchProgress end = run(new BatchRequest("urban", "frames/cam-7/", false));

    assertThrows(
        JobConflictException.class,
        () -> BatchJob.resume(store, classifier, end.jobId(), OPTIONS, Clock.systemUTC(), true));
    assertThrows(
        UnknownJobException.class,
        () -> BatchJob.resume(store, classifier, "no-such-job", OPTIONS, Clock.systemUTC(), true));
  }

  @Test
  void emptyPrefixIsDoneWithNothingCounted() throws Exception {
    BatchProgress end = run(new BatchRequest("urban", "frames/cam-none/", false));

    assertEquals(JobStatus.DONE, end.status());
    assertEquals(BatchCounts.ZERO, end.counts());
    assertEquals(0, end.total());
  }
}
