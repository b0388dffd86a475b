package org.cityvision.spark;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.cityvision.core.batch.BatchCounts;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.batch.BatchProgressJson;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.batch.FailureKind;
import org.cityvision.core.batch.FrameFailure;
import org.cityvision.core.batch.JobLedger;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageConfig;

/**
 * The Spark batch job: what {@code cityvision batch} does, over the same store and with the same
 * results, spread over a cluster.
 *
 * <p>The driver lists the prefix once, keeping only the cursor at which each partition's page
 * starts (one string per {@code --partition-size} frames, so the driver's memory stays small
 * whatever the prefix); each task lists its own page again and classifies it with the executor's
 * one classifier ({@link ExecutorResources}). The job's state is written to the store at the start
 * and at the end, so {@code GET /v1/batch/{jobId}} reports it like a single-node job.
 *
 * <p>Usage: {@code SparkBatch [--master M] --task T --prefix P --model DIR [--flag] [--data DIR]
 * [--partition-size N] [--task-parallelism N]}. The store comes from the environment ({@code
 * CITYVISION_S3_*}, endpoint required); {@code cityvision batch --engine spark} with no endpoint
 * configured runs the embedded S3 server over {@code --data} and passes its endpoint here. {@code
 * --data} holds the driver's spool.
 */
public final class SparkBatch {
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private SparkBatch() {}

  /** The parsed command line. */
  record Args(
      String master,
      String task,
      String prefix,
      Path model,
      boolean flag,
      Path data,
      int partitionSize,
      int taskParallelism) {
    static Args parse(String[] args) {
      Map<String, String> values = new HashMap<>();
      boolean flag = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--flag")) {
          flag = true;
        } else if (a.startsWith("--") && i + 1 < args.length) {
          values.put(a.substring(2), args[++i]);
        } else {
          throw new IllegalArgumentException("unexpected argument '" + a + "'");
        }
      }
      for (String k : values.keySet()) {
        if (!List.of(
                "master", "task", "prefix", "model", "data", "partition-size", "task-parallelism")
            .contains(k)) {
          throw new IllegalArgumentException("unknown option --" + k);
        }
      }
      if (!values.containsKey("task")
          || !values.containsKey("prefix")
          || !values.containsKey("model")) {
        throw new IllegalArgumentException("--task, --prefix and --model are required");
      }
      return new Args(
          values.get("master"),
          values.get("task"),
          values.get("prefix"),
          Path.of(values.get("model")),
          flag,
          Path.of(values.getOrDefault("data", "data")),
          Integer.parseInt(values.getOrDefault("partition-size", "250")),
          Integer.parseInt(values.getOrDefault("task-parallelism", "2")));
    }
  }

  public static void main(String[] argv) {
    Args args;
    try {
      args = Args.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println("cityvision spark batch: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      BatchProgress end = run(args);
      System.out.println(BatchProgressJson.toJson(end, Instant.now()));
      System.exit(end.status() == JobStatus.DONE ? 0 : 1);
    } catch (Exception e) {
      System.err.println("cityvision spark batch: " + e);
      System.exit(1);
    } finally {
      ExecutorResources.closeAll();
    }
  }

  /** Runs the job with its own Spark context and store (closed at the end). */
  public static BatchProgress run(Args args) throws Exception {
    SparkConf conf = new SparkConf().setAppName("cityvision-batch " + args.prefix());
    if (args.master() != null) {
      conf.setMaster(args.master());
    }
    if (conf.get("spark.master", "").startsWith("local")) {
      conf.setIfMissing("spark.ui.enabled", "false");
    }
    StorageConfig storage = StorageConfig.fromEnvironment(System.getenv(), args.data());
    try (JavaSparkContext sc = new JavaSparkContext(conf);
        FrameStore store = FrameStores.open(storage)) {
      sc.setLogLevel("WARN");
      return run(sc, store, args);
    }
  }

  /** Runs the job on a given context and store (tests share them across runs). */
  public static BatchProgress run(JavaSparkContext sc, FrameStore store, Args args)
      throws Exception {
    BatchRequest request = new BatchRequest(args.task(), args.prefix(), args.flag());
    ModelSpec model = ModelPackage.read(args.model()).spec();
    if (!model.task().equals(args.task())) {
      throw new IllegalArgumentException(
          "model "
              + args.model()
              + " answers task '"
              + model.task()
              + "', not '"
              + args.task()
              + "'");
    }
    boolean local = sc.master().startsWith("local");
    String modelDir;
    if (local) {
      ExecutorResources.lendStore(store);
      modelDir = args.model().toAbsolutePath().toString();
    } else {
      // Ship the package with the job, so that executors need no shared filesystem.
      try (DirectoryStream<Path> files =
          Files.newDirectoryStream(args.model(), Files::isRegularFile)) {
        for (Path f : files) {
          sc.addFile(f.toAbsolutePath().toString());
        }
      }
      modelDir = SparkBatchSpec.SPARK_FILES;
    }
    String jobId =
        "s"
            + ID_TIME.format(Instant.now())
            + "-"
            + String.format(Locale.ROOT, "%06x", new SecureRandom().nextInt(1 << 24));
    SparkBatchSpec spec =
        new SparkBatchSpec(
            jobId,
            request.task(),
            request.prefix(),
            request.flag(),
            modelDir,
            args.partitionSize(),
            args.taskParallelism(),
            executorCores(sc));

    JobLedger ledger = new JobLedger(store);
    Instant started = Instant.now();
    List<String> starts = new ArrayList<>();
    long total = 0;
    String cursor = null;
    do {
      starts.add(cursor == null ? "" : cursor);
      Page<FrameEntry> page = store.listFrames(request.prefix(), cursor, args.partitionSize());
      total += page.items().size();
      cursor = page.nextCursor();
    } while (cursor != null);
    ledger.save(
        progress(spec, model, JobStatus.RUNNING, total, PartitionReport.empty(), null, started));

    PartitionReport report;
    try {
      report =
          sc.parallelize(starts, starts.size())
              .mapPartitions(new PartitionTask(spec))
              .reduce(PartitionReport::plus);
    } catch (RuntimeException e) {
      ledger.save(
          progress(
              spec,
              model,
              JobStatus.FAILED,
              total,
              PartitionReport.empty(),
              e.getMessage(),
              started));
      throw e;
    }
    BatchProgress end = progress(spec, model, JobStatus.DONE, total, report, null, started);
    ledger.save(end);
    return end;
  }

  /** Inference workers per executor JVM: its cores ({@code local[N]}: N). */
  static int executorCores(JavaSparkContext sc) {
    String master = sc.master();
    if (master.startsWith("local")) {
      return Math.max(1, sc.defaultParallelism());
    }
    return Math.max(1, sc.getConf().getInt("spark.executor.cores", 1));
  }

  private static BatchProgress progress(
      SparkBatchSpec spec,
      ModelSpec model,
      JobStatus status,
      long total,
      PartitionReport r,
      String message,
      Instant started) {
    Map<FailureKind, Long> by = new EnumMap<>(FailureKind.class);
    r.failedBy().forEach((k, v) -> by.put(FailureKind.valueOf(k), v));
    BatchCounts counts = new BatchCounts(r.listed(), r.classified(), r.skipped(), r.failed(), by);
    List<FrameFailure> failures =
        r.failures().stream()
            .map(f -> new FrameFailure(f.frameId(), FailureKind.valueOf(f.kind()), f.reason()))
            .toList();
    Instant now = Instant.now();
    double seconds = Math.max(1e-3, (now.toEpochMilli() - started.toEpochMilli()) / 1000.0);
    return new BatchProgress(
        spec.jobId(),
        spec.request(),
        model.name(),
        model.version(),
        status,
        total,
        counts,
        failures,
        r.processed() / seconds,
        -1,
        null,
        status == JobStatus.DONE ? counts : BatchCounts.ZERO,
        status == JobStatus.DONE,
        message,
        started,
        now);
  }
}
