package org.cityvision.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.cityvision.core.batch.BatchCounts;
import org.cityvision.core.batch.BatchJob;
import org.cityvision.core.batch.BatchOptions;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.batch.JobLedger;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job in local[2] against a real S3 server, compared with the single-node batch. */
class SparkBatchTest {
  private static final int FRAMES = 100;
  private static final String PREFIX = "frames/cam-7/";
  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static FrameStore store;
  static JavaSparkContext sc;
  static List<String> ids = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "spark-test", "spark-test-secret");
    store =
        FrameStores.open(
            StorageConfig.embedded(dir.resolve("data"))
                .withEndpoint(s3.endpoint(), "spark-test", "spark-test-secret")
                .withBucket("spark-batch"));
    for (int i = 0; i < FRAMES; i++) {
      ids.add(
          store
              .putFrame(
                  new FrameUpload(
                      "cam-7",
                      Instant.parse("2026-11-05T08:00:00Z").plusSeconds(i),
                      "image/jpeg",
                      TestImages.jpeg(320, 240, i),
                      null))
              .frameId());
    }
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("spark-batch-test")
                .set("spark.ui.enabled", "false"));
    sc.setLogLevel("WARN");
  }

  @AfterAll
  static void stop() throws Exception {
    ExecutorResources.closeAll();
    if (sc != null) {
      sc.close();
    }
    if (store != null) {
      store.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void sparkWritesTheSameResultsAsTheSingleNodeBatchAndARerunWritesNothing() throws Exception {
    Path single = dir.resolve("urban-single");
    ModelPackage pkg =
        TestModels.untrainedPackage(
            Files.createDirectories(single),
            "urban",
            List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal"),
            160);
    // The same weights under another version, so that both runs' results sit side by side.
    Path sparkModel = Files.createDirectories(dir.resolve("urban-spark"));
    try (Stream<Path> files = Files.list(single)) {
      for (Path f : files.toList()) {
        Files.copy(f, sparkModel.resolve(f.getFileName()));
      }
    }
    ModelPackage.writeSpec(sparkModel, pkg.spec().withVersion("0.0.1-spark"));
    try (Classifier classifier =
        Classifier.open(pkg, ClassifierOptions.defaults().withWarmup(false))) {
      BatchJob.create(
              store,
              classifier,
              new BatchRequest("urban", PREFIX, false),
              BatchOptions.defaults().withCheckpointEvery(Duration.ofSeconds(1)),
              Clock.systemUTC())
          .run(p -> {});
    }
    SparkBatch.Args args =
        new SparkBatch.Args(null, "urban", PREFIX, sparkModel, false, dir, 10, 2);

    BatchProgress first = SparkBatch.run(sc, store, args);
    Map<String, Instant> written = new HashMap<>();
    for (String id : ids) {
      ResultRecord a = only(id, "0.0.1-test");
      ResultRecord b = only(id, "0.0.1-spark");
      written.put(id, b.classifiedAt());
      assertEquals(a.payload().path("label").asText(), b.payload().path("label").asText(), id);
      JsonNode pa = a.payload().path("probabilities");
      JsonNode pb = b.payload().path("probabilities");
      pa.fieldNames()
          .forEachRemaining(
              label ->
                  assertEquals(
                      pa.path(label).asDouble(),
                      pb.path(label).asDouble(),
                      1e-5,
                      id + " " + label));
    }
    BatchProgress second = SparkBatch.run(sc, store, args);

    assertEquals(JobStatus.DONE, first.status());
    assertEquals(new BatchCounts(FRAMES, FRAMES, 0, 0, Map.of()), first.counts());
    assertEquals(new BatchCounts(FRAMES, 0, FRAMES, 0, Map.of()), second.counts());
    for (String id : ids) {
      assertEquals(
          written.get(id),
          only(id, "0.0.1-spark").classifiedAt(),
          "a re-run writes nothing: " + id);
    }
    assertEquals(
        1,
        ExecutorResources.classifierLoads(),
        "one classifier per executor JVM, not per partition");
    assertEquals(JobStatus.DONE, new JobLedger(store).load(second.jobId()).orElseThrow().status());
  }

  private static ResultRecord only(String frameId, String version) throws Exception {
    List<ResultRecord> r =
        store.results(frameId).stream().filter(x -> x.version().equals(version)).toList();
    assertEquals(1, r.size(), frameId + " " + version);
    return r.get(0);
  }
}
