package org.cityvision.app.cli;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.batch.BatchException;
import org.cityvision.core.batch.BatchJob;
import org.cityvision.core.batch.BatchOptions;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.batch.BatchProgressJson;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.batch.JobLedger;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.Secrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cityvision batch}: classifies every stored frame under a prefix in this process, with a
 * progress bar on stderr; or resumes a job after a crash or a cancel. A re-run over the same prefix
 * skips frames that already have a result of the model version. Ctrl-C cancels cleanly (the job
 * state says cancelled and {@code --resume} continues it). With {@code --engine spark} the same
 * work runs as a Spark job in a child JVM with the {@code spark-batch} module's classpath, so that
 * Spark stays off this (the server's) classpath.
 *
 * <p>Exit codes: 0 done (failed frames are listed, not fatal), 1 the job failed, 2 bad usage, 3
 * cancelled.
 */
@Command(
    name = "batch",
    mixinStandardHelpOptions = true,
    description = {
      "Classify every stored frame under a prefix (resumable, idempotent per model version).",
      "Progress on stderr; with --json the final job state as one JSON object on stdout."
    })
public final class BatchCommand implements Callable<Integer> {
  @Option(names = "--task", description = "urban or waste: selects the shipped model models/<task>")
  String task;

  @Option(names = "--prefix", description = "key prefix under frames/, e.g. frames/cam-7/2026/11/")
  String prefix;

  @Option(names = "--model", description = "model package folder (default: models/<task>)")
  Path model;

  @Option(names = "--flag", description = "put frames on the review queue as live ingest would")
  boolean flag;

  @Option(
      names = "--resume",
      paramLabel = "JOB_ID",
      description = "continue a cancelled, failed or crashed job")
  String resume;

  @Option(
      names = "--take-over",
      description = "with --resume: even if its state still says running")
  boolean takeOver;

  @Option(
      names = "--parallelism",
      defaultValue = "24",
      description = "frames in flight (default: ${DEFAULT-VALUE})")
  int parallelism;

  @Option(names = "--json", description = "print the final job state as JSON on stdout")
  boolean json;

  @Option(
      names = "--engine",
      defaultValue = "local",
      description = "local or spark (default: ${DEFAULT-VALUE})")
  Engine engine;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "with --engine spark: the Spark master (default: ${DEFAULT-VALUE})")
  String master;

  @Mixin KeysCommand.StoreOptions storeOptions;

  /** Where the job runs. */
  enum Engine {
    LOCAL,
    SPARK
  }

  @Override
  public Integer call() throws Exception {
    PrintStream err = System.err;
    if (resume == null && (task == null || prefix == null)) {
      err.println("cityvision batch: give --task and --prefix, or --resume JOB_ID");
      return 2;
    }
    BatchRequest request = null;
    if (resume == null) {
      try {
        request = new BatchRequest(task, prefix, flag);
      } catch (IllegalArgumentException e) {
        err.println("cityvision batch: " + e.getMessage());
        return 2;
      }
    }
    BatchOptions options;
    try {
      options =
          BatchOptions.defaults()
              .withParallelism(parallelism)
              .withCheckpointEvery(Duration.ofSeconds(1));
    } catch (IllegalArgumentException e) {
      err.println("cityvision batch: " + e.getMessage());
      return 2;
    }
    if (engine == Engine.SPARK) {
      return SparkEngine.run(request, resume, model, master, storeOptions, err);
    }
    try (StorageEndpoint endpoint = storeOptions.endpoint();
        FrameStore store = storeOptions.open(endpoint)) {
      String taskName = task;
      if (resume != null) {
        var stored = new JobLedger(store).load(resume);
        if (stored.isEmpty()) {
          err.println("cityvision batch: no batch job " + resume);
          return 2;
        }
        taskName = stored.get().request().task();
      }
      Path dir = model != null ? model : Home.shippedModel(taskName);
      ModelPackage pkg = ModelPackage.read(dir);
      if (!pkg.spec().task().equals(taskName)) {
        err.println(
            "cityvision batch: model "
                + dir
                + " answers task '"
                + pkg.spec().task()
                + "', not '"
                + taskName
                + "'");
        return 2;
      }
      int workers = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
      ClassifierOptions classifierOptions =
          ClassifierOptions.defaults()
              .withWorkers(workers)
              .withTorchThreads(1)
              .withQueueCapacity(Math.max(64, parallelism * 2));
      try (Classifier classifier = Classifier.open(pkg, classifierOptions)) {
        BatchJob job =
            resume == null
                ? BatchJob.create(store, classifier, request, options, Clock.systemUTC())
                : BatchJob.resume(store, classifier, resume, options, Clock.systemUTC(), takeOver);
        err.println(
            "cityvision batch: job "
                + job.jobId()
                + " ("
                + pkg.spec().name()
                + " "
                + pkg.spec().version()
                + ") "
                + (resume == null ? "started" : "resumed"));
        BatchProgress end = runWithCtrlC(job, new ProgressBar(err, System.console() != null));
        if (json) {
          System.out.println(BatchProgressJson.toJson(end, Instant.now()));
        }
        return switch (end.status()) {
          case DONE -> 0;
          case CANCELLED -> 3;
          default -> 1;
        };
      }
    } catch (BatchException e) {
      err.println("cityvision batch: " + e.getMessage());
      return 2;
    }
  }

  /** Ctrl-C cancels the job and waits (briefly) for it to write its final state. */
  private static BatchProgress runWithCtrlC(BatchJob job, ProgressBar bar) throws Exception {
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              job.cancel();
              try {
                finished.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "cityvision-batch-cancel");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return job.run(bar::show);
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is running and has just been released.
      }
    }
  }

  /**
   * One status line on stderr: redrawn in place on a terminal, else printed every 10 seconds and at
   * the end so that logs stay readable.
   */
  static final class ProgressBar {
    private static final int WIDTH = 30;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final PrintStream out;
    private final boolean terminal;
    private long lastLine;

    ProgressBar(PrintStream out, boolean terminal) {
      this.out = out;
      this.terminal = terminal;
    }

    void show(BatchProgress p) {
      String line = render(p);
      if (terminal) {
        out.print("\r" + line + (p.finished() ? "\n" : ""));
        out.flush();
      } else if (p.finished() || System.nanoTime() - lastLine > LOG_EVERY_NANOS) {
        lastLine = System.nanoTime();
        out.println(line);
      }
    }

    static String render(BatchProgress p) {
      long done = p.counts().processed();
      StringBuilder b = new StringBuilder();
      if (p.total() > 0) {
        int filled = (int) Math.min(WIDTH, WIDTH * done / p.total());
        b.append('[')
            .append("#".repeat(filled))
            .append("-".repeat(WIDTH - filled))
            .append("] ")
            .append(
                String.format(Locale.ROOT, "%3d%% %d/%d", 100 * done / p.total(), done, p.total()));
      } else {
        b.append(done).append(" frames");
      }
      b.append(String.format(Locale.ROOT, "  %.1f frames/s", p.rate()));
      if (!p.finished() && p.etaSeconds() >= 0) {
        long s = p.etaSeconds();
        b.append(String.format(Locale.ROOT, "  ETA %d:%02d:%02d", s / 3600, s / 60 % 60, s % 60));
      }
      b.append("  classified ")
          .append(p.counts().classified())
          .append(" skipped ")
          .append(p.counts().skipped())
          .append(" failed ")
          .append(p.counts().failed());
      if (p.finished()) {
        b.append("  ").append(p.status().name().toLowerCase(Locale.ROOT));
        if (p.status() == JobStatus.FAILED && p.message() != null) {
          b.append(": ").append(p.message());
        }
      }
      return b.toString();
    }
  }

  /** Runs the Spark job of the {@code spark-batch} module in a child JVM. */
  static final class SparkEngine {
    private SparkEngine() {}

    static int run(
        BatchRequest request,
        String resume,
        Path model,
        String master,
        KeysCommand.StoreOptions store,
        PrintStream err)
        throws Exception {
      if (resume != null || store.config != null) {
        err.println(
            "cityvision batch: --resume and --config are for the local engine; the Spark job takes the store from"
                + " CITYVISION_S3_* and re-runs skip frames that have a result of the model version");
        return 2;
      }
      Path home = Home.root();
      Path jar = home.resolve("spark-batch/target/spark-batch.jar");
      Path lib = home.resolve("spark-batch/target/lib");
      Path sparkLib = home.resolve("spark-batch/target/spark-lib");
      if (!Files.isRegularFile(jar) || !Files.isDirectory(lib) || !Files.isDirectory(sparkLib)) {
        err.println(
            "cityvision batch: the Spark engine is not built; run: mvn -B -q -pl spark-batch -am package -DskipTests");
        return 1;
      }
      Path dir = model != null ? model : Home.shippedModel(request.task());
      List<String> command =
          new ArrayList<>(
              List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      command.addAll(SparkJvm.OPENS);
      command.addAll(
          List.of(
              "-Xmx4g",
              "-Dai.djl.offline=true",
              "-Djava.awt.headless=true",
              "-cp",
              String.join(
                  File.pathSeparator,
                  jar.toString(),
                  lib.resolve("*").toString(),
                  sparkLib.resolve("*").toString()),
              "org.cityvision.spark.SparkBatch",
              "--master",
              master,
              "--task",
              request.task(),
              "--prefix",
              request.prefix(),
              "--model",
              dir.toString()));
      if (request.flag()) {
        command.add("--flag");
      }
      if (store.data != null) {
        command.addAll(List.of("--data", store.data.toString()));
      }
      ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
      builder.environment().put("OPT_OUT_TRACKING", "true");
      builder.environment().remove("PYTORCH_VERSION");
      // With no endpoint configured, this process runs the embedded S3 server over the job's data
      // directory while the job runs, and hands its endpoint and keys to the job (and so to its
      // executors) in the environment.
      Path data = store.data != null ? store.data : Path.of("data");
      try (StorageEndpoint endpoint =
          StorageEndpoint.of(
              store.serverConfig().withData(data), Secrets.fromEnvironment(System.getenv()))) {
        if (endpoint.embedded()) {
          builder
              .environment()
              .put("CITYVISION_S3_ENDPOINT", endpoint.config().storage().endpoint());
          builder.environment().put("CITYVISION_S3_ACCESS_KEY", endpoint.secrets().s3AccessKey());
          builder.environment().put("CITYVISION_S3_SECRET_KEY", endpoint.secrets().s3SecretKey());
        }
        return builder.start().waitFor();
      }
    }
  }

  /** The JVM flags Spark 3.5 needs on Java 17 (its own launcher adds the same). */
  static final class SparkJvm {
    static final List<String> OPENS =
        List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED");

    private SparkJvm() {}
  }
}
