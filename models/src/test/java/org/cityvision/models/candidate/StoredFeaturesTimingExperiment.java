package org.cityvision.models.candidate;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassificationJson;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.testing.EmbeddedStore;
import org.cityvision.core.testing.SharedData;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.datasets.split.DatasetSplit;
import org.cityvision.datasets.split.SplitSpec;
import org.junit.jupiter.api.Test;

/**
 * The target for the learning loop's speed: a head candidate of the shipped urban model
 * from 2,000 verdicts (the 717 urban-extra images and 1,283 urban training images, true labels),
 * with the pooled features kept when the frames were classified, against the same 2,000 without
 * them, in one run on two torch threads.
 *
 * <ol>
 *   <li>Classification time: the serving classifier classifies each image (eight callers at once)
 *       and its result, with the features of that forward pass, is stored in an embedded S3 store
 *       as ingest stores it. 200 results are then written again with and without features, for what
 *       features cost a result in bytes and milliseconds.
 *   <li>A head candidate reading the features from the store (one GET per verdict).
 *   <li>The same candidate from the images (a forward pass per verdict), as without stored
 *       features.
 * </ol>
 *
 * <p>Runs only when named and asked, and skips without ../shared:
 *
 * <pre>
 * nice -n 10 mvn -B -o -q -pl models test -Dtest=StoredFeaturesTimingExperiment \
 *     -Dsurefire.failIfNoSpecifiedTests=false -DfailIfNoTests=false \
 *     -Dcityvision.featuresTiming=$PWD/models/target/features-timing
 * </pre>
 */
class StoredFeaturesTimingExperiment {
  private static final int VERDICTS = 2000;
  private static final int COST_SAMPLE = 200;

  @Test
  void headCandidateFrom2000VerdictsWithAndWithoutStoredFeatures() throws Exception {
    String outProperty = System.getProperty("cityvision.featuresTiming");
    assumeTrue(
        outProperty != null, "skipped: an experiment; run with -Dcityvision.featuresTiming=DIR");
    int verdictCount = Integer.getInteger("cityvision.featuresTiming.verdicts", VERDICTS);
    Path urbanData = SharedData.dataset("urban");
    Path siteData = SharedData.dataset("urban-extra");
    Path out = Path.of(outProperty);
    deleteTree(out);
    Files.createDirectories(out);
    ModelPackage live = ModelPackage.read(shippedUrban());
    assumeTrue(
        ReplaySet.of(live).isPresent(), "skipped: the shipped urban package has no replay set");
    TorchRuntime.start(2);

    List<Sample> samples = new ArrayList<>(ImageFolder.read(siteData).samples());
    for (Sample s :
        DatasetSplit.of(ImageFolder.read(urbanData), new SplitSpec(0.15, 0.15, 42)).train()) {
      if (samples.size() >= verdictCount) {
        break;
      }
      samples.add(s);
    }
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    List<Sample> chosen = List.copyOf(samples.subList(0, Math.min(verdictCount, samples.size())));
    report.put("verdicts", chosen.size());
    report.put("cores", Runtime.getRuntime().availableProcessors());
    report.put("torchThreads", 2);
    String model = live.spec().name();
    String version = live.spec().version();

    try (EmbeddedStore embedded = EmbeddedStore.open(out.resolve("store"))) {
      FrameStore store = embedded.store();
      // 1. Classification time: eight callers at once, as a busy node classifies.
      List<VerdictExample> stored = new ArrayList<>();
      List<VerdictExample> imagesOnly = new ArrayList<>();
      Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
      String[] ids = new String[chosen.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = FrameId.generate("site-1", t0.plusMillis(i)).value();
      }
      double load0 = os.getSystemLoadAverage();
      long wall0 = System.nanoTime();
      ExecutorService callers = Executors.newFixedThreadPool(8);
      try (Classifier classifier =
          Classifier.open(live, ClassifierOptions.defaults().withWarmup(false))) {
        List<Future<?>> done = new ArrayList<>();
        for (int n = 0; n < chosen.size(); n++) {
          int i = n;
          done.add(
              callers.submit(
                  () -> {
                    Classification c = classifier.classify(chosen.get(i).read());
                    store.putResult(
                        new ResultRecord(
                            ids[i],
                            model,
                            version,
                            Instant.now(),
                            ClassificationJson.toJson(c),
                            c.features()));
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        callers.shutdownNow();
      }
      double classifySeconds = seconds(System.nanoTime() - wall0);
      // What features add to a result: the same results again without them, under other frames.
      long[] withNanos = new long[1];
      long[] withoutNanos = new long[1];
      long[] bytes = new long[2];
      for (int i = 0; i < COST_SAMPLE; i++) {
        ResultRecord with = store.result(ids[i], model, version).orElseThrow();
        String plainId = FrameId.generate("plain-1", t0.plusMillis(i)).value();
        String againId = FrameId.generate("again-1", t0.plusMillis(i)).value();
        long a = System.nanoTime();
        store.putResult(
            new ResultRecord(plainId, model, version, with.classifiedAt(), with.payload()));
        long b = System.nanoTime();
        store.putResult(
            new ResultRecord(
                againId, model, version, with.classifiedAt(), with.payload(), with.features()));
        withoutNanos[0] += b - a;
        withNanos[0] += System.nanoTime() - b;
        bytes[0] += objectSize(out, againId, model, version);
        bytes[1] += objectSize(out, plainId, model, version);
      }
      for (int i = 0; i < chosen.size(); i++) {
        Sample s = chosen.get(i);
        String frameId = ids[i];
        stored.add(
            new VerdictExample(
                frameId,
                s.label(),
                s::read,
                () -> store.result(frameId, model, version).flatMap(ResultRecord::pooledFeatures)));
        imagesOnly.add(new VerdictExample(frameId, s.label(), s::read));
      }
      ObjectNode classify = report.putObject("classification");
      classify.put("seconds", classifySeconds);
      classify.put("loadAverageAtStart", load0);
      classify.put("resultBytesWithFeatures", bytes[0] / COST_SAMPLE);
      classify.put("resultBytesWithoutFeatures", bytes[1] / COST_SAMPLE);
      classify.put("putResultMsWithFeatures", withNanos[0] / 1e6 / COST_SAMPLE);
      classify.put("putResultMsWithoutFeatures", withoutNanos[0] / 1e6 / COST_SAMPLE);
      System.out.println(report);

      // 2. and 3.
      report.set("withStoredFeatures", timed(live, stored, out.resolve("with-stored"), os));
      System.out.println(report);
      report.set("fromImages", timed(live, imagesOnly, out.resolve("from-images"), os));
    }
    Files.writeString(out.resolve("timing.json"), report.toPrettyString());
    System.out.println(report.toPrettyString());
  }

  private static ObjectNode timed(
      ModelPackage live, List<VerdictExample> verdicts, Path dir, OperatingSystemMXBean os)
      throws Exception {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    int[] sources = new int[2];
    CandidateProgress progress =
        new CandidateProgress() {
          @Override
          public void stage(String name, int steps) {}

          @Override
          public void advance(int done) {}

          @Override
          public void featureSources(int stored, int computed) {
            sources[0] = stored;
            sources[1] = computed;
          }
        };
    node.put("loadAverageAtStart", os.getSystemLoadAverage());
    long cpu0 = os.getProcessCpuTime();
    long wall0 = System.nanoTime();
    CandidateResult result =
        CandidateTraining.run(
            new CandidateRequest(
                live, verdicts, CandidateMode.HEAD, "1.2.0-" + dir.getFileName(), dir),
            progress,
            () -> false);
    node.put("seconds", seconds(System.nanoTime() - wall0));
    node.put("processCpuSeconds", seconds(os.getProcessCpuTime() - cpu0));
    node.put("loadAverageAtEnd", os.getSystemLoadAverage());
    node.put("featuresStored", sources[0]);
    node.put("featuresComputed", sources[1]);
    node.put("holdoutAccuracy", result.evaluation().holdout().candidate().accuracy());
    node.put("better", result.evaluation().better());
    return node;
  }

  /** Bytes of a result object as the embedded server keeps it on disk. */
  private static long objectSize(Path out, String frameId, String model, String version)
      throws Exception {
    return Files.size(
        out.resolve("store/s3/cityvision/results")
            .resolve(frameId)
            .resolve(model)
            .resolve(version + ".json"));
  }

  private static double seconds(long nanos) {
    return Math.round(nanos / 1e8) / 10.0;
  }

  private static void deleteTree(Path dir) throws Exception {
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The shipped urban package folder, found from the working directory up. */
  private static Path shippedUrban() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("models").resolve("urban");
      if (Files.isRegularFile(candidate.resolve(ModelPackage.SPEC_FILE))) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no models/urban package above " + Path.of("").toAbsolutePath());
  }
}
