package org.cityvision.core.batch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.testing.TempDirs;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;

/**
 * Batch throughput against the in-process classifier in the same run: stores {@code frames} 1080p
 * JPEG frames in the embedded S3 server (one capture day per round, plus one day per uncounted
 * warm-up round), then alternates five rounds of in-process classification ({@code
 * Classifier.classify(byte[])} from as many threads as the batch has frames in flight, on frames
 * held in memory) and a batch job over one day's frames, and prints a markdown table with the ratio
 * of the two throughputs and the JIT's compilation time during each.
 *
 * <p>Run: {@code java -cp target/test-classes:target/classes:$(cat cp.txt)
 * org.cityvision.core.batch.BatchBenchmark [frames] [model-dir]} (without a model directory, an
 * untrained urban head on the ../shared EdgeTPU backbone at 224).
 */
public final class BatchBenchmark {
  private static final DateTimeFormatter DAY_PATH =
      DateTimeFormatter.ofPattern("yyyy/MM/dd", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** Uncounted rounds first ({@code -Dbench.warmupRounds}, default 1). */
  private static final int WARMUP_ROUNDS = Integer.getInteger("bench.warmupRounds", 1);

  private BatchBenchmark() {}

  public static void main(String[] args) throws Exception {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    Path root = Files.createTempDirectory("cityvision-batch-bench");
    ModelPackage pkg =
        args.length > 1
            ? ModelPackage.read(Path.of(args[1]))
            : TestModels.untrainedPackage(
                root.resolve("model"), "urban", BatchFixture.URBAN_LABELS, 224);
    BatchOptions options = BatchOptions.defaults();
    int inMemory = 100;
    List<byte[]> held = new ArrayList<>();
    try (EmbeddedS3Server server = BatchFixture.server(root.resolve("s3"));
        FrameStore store = BatchFixture.open(server.endpoint(), root.resolve("data"), "bench");
        Classifier classifier = Classifier.open(pkg, ClassifierOptions.defaults())) {
      int rounds = 5;
      int perRound = frames / rounds;
      int stored = perRound * (WARMUP_ROUNDS + rounds);
      long storeStart = System.nanoTime();
      for (int i = 0; i < stored; i++) {
        byte[] jpeg = TestImages.jpeg(1920, 1080, i);
        if (held.size() < inMemory) {
          held.add(jpeg);
        }
        // One capture day per round, so that each round's batch job has a prefix of its own.
        store.putFrame(
            new FrameUpload(
                "cam-7",
                BatchFixture.DAY.plus(Duration.ofDays(i / perRound)).plusSeconds(i),
                "image/jpeg",
                jpeg,
                null));
      }
      double storeSeconds = (System.nanoTime() - storeStart) / 1e9;
      long bytes = held.stream().mapToLong(b -> b.length).sum() / held.size();
      System.err.printf(
          Locale.ROOT,
          "stored %d frames (~%d KB each) in %.1f s%n",
          stored,
          bytes / 1024,
          storeSeconds);

      // Warm-up rounds, not counted: a batch job runs for hours, so what it costs while the JIT is
      // still compiling the storage path (the S3 client, the embedded server) is not its rate.
      for (int r = 0; r < WARMUP_ROUNDS; r++) {
        double warmIn = inProcess(classifier, held, perRound, options.parallelism());
        double warmBatch = perRound / runDay(store, classifier, options, r, perRound);
        System.err.printf(
            Locale.ROOT,
            "warm-up round %d (not counted): in-process %.1f, batch %.1f frames/s, ratio %.2f%n",
            r,
            warmIn,
            warmBatch,
            warmBatch / warmIn);
      }

      // Rounds alternate (in-process, then batch over one day) so that load from other processes
      // on this shared machine falls on both alike. The JIT compilers' CPU is shown beside each: on
      // two cores a compiler thread takes its share from the work measured.
      double inProcessSeconds = 0;
      double batchSeconds = 0;
      double inProcessJit = 0;
      double batchJit = 0;
      for (int r = 0; r < rounds; r++) {
        double jit0 = jitSeconds();
        inProcessSeconds += perRound / inProcess(classifier, held, perRound, options.parallelism());
        double jit1 = jitSeconds();
        batchSeconds += runDay(store, classifier, options, WARMUP_ROUNDS + r, perRound);
        inProcessJit += jit1 - jit0;
        batchJit += jitSeconds() - jit1;
        System.err.printf(
            Locale.ROOT,
            "round %d: in-process %.1f s total, batch %.1f s total%n",
            r,
            inProcessSeconds,
            batchSeconds);
      }
      int n = perRound * rounds;
      double batch = n / batchSeconds;
      double reference = n / inProcessSeconds;
      System.out.println(
          "| what ("
              + rounds
              + " alternating rounds of "
              + perRound
              + " frames) | frames | seconds | frames/s | JIT compiler CPU s |");
      System.out.println("|---|---|---|---|---|");
      System.out.printf(
          Locale.ROOT,
          "| in-process `Classifier.classify(byte[])`, %d caller threads, frames in memory | %d | %.1f | %.1f | %.1f |%n",
          options.parallelism(),
          n,
          inProcessSeconds,
          reference,
          inProcessJit);
      System.out.printf(
          Locale.ROOT,
          "| batch jobs (list, HEAD, GET + SHA-256, classify, PUT result), parallelism %d | %d | %.1f | %.1f | %.1f |%n",
          options.parallelism(),
          n,
          batchSeconds,
          batch,
          batchJit);
      System.out.printf(
          Locale.ROOT, "| **ratio batch / in-process** | | | **%.2f** | |%n", batch / reference);
      System.out.printf(
          Locale.ROOT,
          "%nmodel %s %s, input %dx%d; classifier %s%n",
          pkg.spec().name(),
          pkg.spec().version(),
          pkg.spec().input().width(),
          pkg.spec().input().height(),
          ClassifierOptions.defaults());
    } finally {
      TempDirs.deleteTree(root);
    }
  }

  /**
   * Runs a batch job over capture day {@code day}, which holds {@code frames} unclassified frames;
   * its seconds.
   */
  private static double runDay(
      FrameStore store, Classifier classifier, BatchOptions options, int day, int frames)
      throws Exception {
    String path = DAY_PATH.format(BatchFixture.DAY.plus(Duration.ofDays(day)));
    long t0 = System.nanoTime();
    BatchProgress end =
        BatchJob.create(
                store,
                classifier,
                new BatchRequest("urban", "frames/cam-7/" + path + "/", false),
                options,
                Clock.systemUTC())
            .run(p -> {});
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (end.status() != JobStatus.DONE || end.counts().classified() != frames) {
      throw new IllegalStateException("batch did not classify every frame: " + end);
    }
    return seconds;
  }

  /**
   * CPU time of the JIT's compiler threads so far (Linux: {@code /proc/self/task}, in clock ticks
   * of 10 ms; NaN elsewhere). Not {@code CompilationMXBean}'s total, which counts wall time and on
   * two busy cores reads several times the CPU a compilation took.
   */
  private static double jitSeconds() {
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return Double.NaN;
    }
    long ticks = 0;
    try (Stream<Path> all = Files.list(tasks)) {
      for (Path task : (Iterable<Path>) all::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String name = stat.substring(open + 1, close);
        if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
          String[] fields = stat.substring(close + 2).split(" ");
          ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return ticks / 100.0;
  }

  /** Frames per second of {@code n} classifications of held frames from {@code threads} callers. */
  private static double inProcess(Classifier classifier, List<byte[]> held, int n, int threads)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        all.add(
            callers.submit(
                () -> {
                  for (int i; (i = next.getAndIncrement()) < n; ) {
                    classifier.classify(held.get(i % held.size()));
                  }
                  return null;
                }));
      }
      for (Future<?> f : all) {
        f.get();
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    } finally {
      callers.shutdownNow();
    }
  }
}
