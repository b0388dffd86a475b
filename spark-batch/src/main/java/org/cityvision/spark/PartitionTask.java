package org.cityvision.spark;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.cityvision.core.batch.FrameOutcome;
import org.cityvision.core.batch.FrameProcessor;
import org.cityvision.core.classify.FlagListener;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;

/**
 * One Spark task: for each listing cursor of its partition, lists that page of the prefix and runs
 * {@code vision-core}'s {@link FrameProcessor} (the single-node batch's per-frame step) over its
 * frames with {@link SparkBatchSpec#taskParallelism()} frames in flight, sharing the executor's one
 * classifier. A failure of the store fails the task, which Spark retries: frames already done are
 * skipped on the retry, so retries write nothing twice.
 */
final class PartitionTask implements FlatMapFunction<Iterator<String>, PartitionReport> {
  private static final long serialVersionUID = 1L;
  private final SparkBatchSpec spec;

  PartitionTask(SparkBatchSpec spec) {
    this.spec = spec;
  }

  @Override
  public Iterator<PartitionReport> call(Iterator<String> cursors) throws Exception {
    FrameStore store = ExecutorResources.store();
    FrameProcessor processor =
        new FrameProcessor(
            store,
            ExecutorResources.classifier(spec),
            spec.flag(),
            Duration.ofMinutes(5),
            Clock.systemUTC(),
            FlagListener.NONE);
    PartitionReport report = PartitionReport.empty();
    ExecutorService pool = Executors.newFixedThreadPool(spec.taskParallelism());
    try {
      while (cursors.hasNext()) {
        String cursor = cursors.next();
        Page<FrameEntry> page =
            store.listFrames(spec.prefix(), cursor.isEmpty() ? null : cursor, spec.partitionSize());
        List<Future<FrameOutcome>> outcomes = new ArrayList<>(page.items().size());
        for (FrameEntry e : page.items()) {
          outcomes.add(pool.submit(() -> processor.process(e.frameId())));
        }
        report = report.plus(tally(page.items().size(), outcomes));
      }
    } finally {
      pool.shutdownNow();
    }
    return List.of(report).iterator();
  }

  private static PartitionReport tally(int listed, List<Future<FrameOutcome>> outcomes)
      throws Exception {
    long classified = 0;
    long skipped = 0;
    Map<String, Long> failedBy = new TreeMap<>();
    List<PartitionReport.Failure> failures = new ArrayList<>();
    for (Future<FrameOutcome> f : outcomes) {
      FrameOutcome o;
      try {
        o = f.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
      switch (o.outcome()) {
        case CLASSIFIED -> classified++;
        case SKIPPED -> skipped++;
        case FAILED -> {
          failedBy.merge(o.failure().kind().name(), 1L, Long::sum);
          if (failures.size() < PartitionReport.FAILURES_KEPT) {
            failures.add(
                new PartitionReport.Failure(
                    o.frameId(), o.failure().kind().name(), o.failure().reason()));
          }
        }
      }
    }
    long failed = failedBy.values().stream().mapToLong(Long::longValue).sum();
    return new PartitionReport(listed, classified, skipped, failed, failedBy, failures);
  }
}
