package org.cityvision.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.cityvision.core.batch.BatchJob;
import org.cityvision.core.batch.BatchOptions;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TempDirs;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;

/**
 * Spark local[1] and local[2] against the single-node batch on the same stored 1080p frames, each
 * run under a model version of its own (same weights) so that each classifies every frame. Prints a
 * markdown table.
 *
 * <p>Run (from spark-batch, with the Java 17 flags of the surefire argLine): {@code java
 * --add-opens=... -cp target/test-classes:target/classes:$(cat cp.txt)
 * org.cityvision.spark.SparkBenchmark [frames]}
 */
public final class SparkBenchmark {
  private SparkBenchmark() {}

  public static void main(String[] args) throws Exception {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    Path root = Files.createTempDirectory("cityvision-spark-bench");
    ModelPackage pkg =
        TestModels.untrainedPackage(
            root.resolve("m-single"),
            "urban",
            List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal"),
            224);
    Path m1 = copy(pkg, root.resolve("m-local1"), "0.0.1-local1");
    Path m2 = copy(pkg, root.resolve("m-local2"), "0.0.1-local2");
    String prefix = "frames/cam-7/";
    try (EmbeddedS3Server s3 =
            EmbeddedS3Server.start(root.resolve("s3"), 0, "bench", "bench-secret-key");
        FrameStore store =
            FrameStores.open(
                StorageConfig.embedded(root.resolve("data"))
                    .withEndpoint(s3.endpoint(), "bench", "bench-secret-key")
                    .withBucket("spark-bench"))) {
      for (int i = 0; i < frames; i++) {
        store.putFrame(
            new FrameUpload(
                "cam-7",
                Instant.parse("2026-11-05T08:00:00Z").plusSeconds(i),
                "image/jpeg",
                TestImages.jpeg(1920, 1080, i),
                null));
      }
      double single;
      try (Classifier c = Classifier.open(pkg, ClassifierOptions.defaults())) {
        long t0 = System.nanoTime();
        BatchProgress p =
            BatchJob.create(
                    store,
                    c,
                    new BatchRequest("urban", prefix, false),
                    BatchOptions.defaults(),
                    Clock.systemUTC())
                .run(x -> {});
        single = p.counts().classified() / ((System.nanoTime() - t0) / 1e9);
      }
      double local1 = spark(store, "local[1]", m1, prefix, frames, root);
      double local2 = spark(store, "local[2]", m2, prefix, frames, root);
      System.out.println("| run (" + frames + " stored 1920x1080 frames) | frames/s |");
      System.out.println("|---|---|");
      System.out.printf(
          Locale.ROOT,
          "| single-node batch (`BatchJob`, parallelism 24, 2 workers) | %.1f |%n",
          single);
      System.out.printf(Locale.ROOT, "| Spark local[1] | %.1f |%n", local1);
      System.out.printf(Locale.ROOT, "| Spark local[2] | %.1f |%n", local2);
      System.out.printf(
          Locale.ROOT, "| **scaling local[2] / local[1]** | **%.2f** |%n", local2 / local1);
      System.out.printf(
          Locale.ROOT, "| **ratio local[2] / single-node** | **%.2f** |%n", local2 / single);
    } finally {
      TempDirs.deleteTree(root);
    }
  }

  private static double spark(
      FrameStore store, String master, Path model, String prefix, int frames, Path root)
      throws Exception {
    try (JavaSparkContext sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster(master)
                .setAppName("bench")
                .set("spark.ui.enabled", "false"))) {
      sc.setLogLevel("WARN");
      long t0 = System.nanoTime();
      BatchProgress p =
          SparkBatch.run(
              sc, store, new SparkBatch.Args(null, "urban", prefix, model, false, root, 50, 2));
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (p.counts().classified() != frames) {
        throw new IllegalStateException(master + " classified " + p.counts());
      }
      return frames / seconds;
    } finally {
      ExecutorResources.closeAll();
    }
  }

  private static Path copy(ModelPackage pkg, Path to, String version) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(pkg.dir())) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    ModelPackage.writeSpec(to, pkg.spec().withVersion(version));
    return to;
  }
}
