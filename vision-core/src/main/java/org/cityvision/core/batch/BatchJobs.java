package org.cityvision.core.batch;

import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;

/**
 * The batch jobs of one serving node: starts jobs in the background, reports and cancels any job in
 * the shared store (wherever it runs), and resumes interrupted ones.
 *
 * <p>At most {@code maxRunning} jobs run on this node at once, each on a thread of its own plus its
 * pool; a further start is refused with {@link BatchBusyException} rather than queued, so that a
 * node's load is what its operator sees. Jobs use the node's classifiers, shared with live
 * requests: keep {@link BatchOptions#parallelism()} well below the classifier's queue capacity so
 * that live requests still find room (a refused batch frame backs off and retries).
 *
 * <p>Thread-safe. <b>Close it</b> before the classifiers and the store: closing cancels the jobs
 * running here (their state says cancelled; {@link #resume} continues them later) and waits for
 * them to write their final state. It owns neither the store nor the classifiers.
 */
public final class BatchJobs implements AutoCloseable {
  private final FrameStore store;
  private final Function<String, Optional<Classifier>> classifiers;
  private final BatchOptions options;
  private final int maxRunning;
  private final Clock clock;
  private final JobLedger ledger;
  private final ExecutorService runners;
  private final Map<String, Running> running = new ConcurrentHashMap<>();

  /**
   * Jobs that ended here lately, so that a caller asking just after the end still gets the outcome.
   */
  private final Map<String, CompletableFuture<BatchProgress>> ended =
      new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(
            Map.Entry<String, CompletableFuture<BatchProgress>> eldest) {
          return size() > 64;
        }
      };

  private volatile boolean closed;
  private final Map<JobStatus, LongAdder> endedBy = new ConcurrentHashMap<>();
  private final LongAdder classified = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder failed = new LongAdder();

  private record Running(BatchJob job, CompletableFuture<BatchProgress> done) {}

  /**
   * @param classifiers the classifier serving each task, or empty for a task this node lacks
   * @param maxRunning jobs this node runs at once, 1..16
   */
  public BatchJobs(
      FrameStore store,
      Function<String, Optional<Classifier>> classifiers,
      BatchOptions options,
      int maxRunning,
      Clock clock) {
    if (maxRunning < 1 || maxRunning > 16) {
      throw new IllegalArgumentException("maxRunning must be 1..16, got " + maxRunning);
    }
    this.store = Objects.requireNonNull(store, "store");
    this.classifiers = Objects.requireNonNull(classifiers, "classifiers");
    this.options = Objects.requireNonNull(options, "options");
    this.maxRunning = maxRunning;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ledger = new JobLedger(store);
    AtomicInteger n = new AtomicInteger();
    this.runners =
        Executors.newFixedThreadPool(
            maxRunning,
            r -> {
              Thread t = new Thread(r, "batch-runner-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts a job in the background.
   *
   * @return its first state (running, nothing counted yet)
   * @throws IllegalArgumentException if no classifier serves the request's task
   * @throws BatchBusyException if this node already runs {@code maxRunning} jobs
   */
  public synchronized BatchProgress start(BatchRequest request)
      throws StorageException, BatchException {
    Classifier classifier = classifierFor(request.task());
    requireCapacity();
    BatchJob job = BatchJob.create(store, classifier, request, options, clock);
    launch(job);
    return job.progress();
  }

  /**
   * Continues a cancelled, failed or stalled job from its checkpoint, in the background.
   *
   * @param takeOver also resume a job whose state says running though it was not seen stalling
   */
  public synchronized BatchProgress resume(String jobId, boolean takeOver)
      throws StorageException, BatchException {
    if (running.containsKey(jobId)) {
      throw new JobConflictException("batch job " + jobId + " is running on this node");
    }
    BatchProgress stored =
        ledger.load(jobId).orElseThrow(() -> new UnknownJobException("no batch job " + jobId));
    Classifier classifier = classifierFor(stored.request().task());
    requireCapacity();
    BatchJob job = BatchJob.resume(store, classifier, jobId, options, clock, takeOver);
    launch(job);
    return job.progress();
  }

  /** A job's state as stored, wherever it runs. */
  public Optional<BatchProgress> status(String jobId) throws StorageException {
    return ledger.load(jobId);
  }

  /** Jobs in id order, which is creation order. */
  public Page<BatchProgress> list(String cursor, int limit) throws StorageException {
    return ledger.list(cursor, limit);
  }

  /**
   * Cancels a job wherever it runs: at once when it runs here, else at its node's next checkpoint.
   *
   * @return its state after the request (unchanged when already finished); empty when unknown
   */
  public Optional<BatchProgress> cancel(String jobId) throws StorageException {
    Running local = running.get(jobId);
    if (local != null) {
      local.job().cancel();
    }
    return ledger.requestCancel(jobId, clock.instant());
  }

  /**
   * Completes with the final state of a job running on this node, or that ended here lately; empty
   * for any other job.
   */
  public Optional<CompletableFuture<BatchProgress>> completion(String jobId) {
    Running r = running.get(jobId);
    if (r != null) {
      return Optional.of(r.done().copy());
    }
    synchronized (ended) {
      return Optional.ofNullable(ended.get(jobId)).map(CompletableFuture::copy);
    }
  }

  /** Jobs and frames of this node since it started. */
  public BatchTotals totals() {
    Map<JobStatus, Long> ended = new EnumMap<>(JobStatus.class);
    endedBy.forEach((status, n) -> ended.put(status, n.sum()));
    return new BatchTotals(running.size(), ended, classified.sum(), skipped.sum(), failed.sum());
  }

  /** Jobs running on this node now. */
  public List<String> runningHere() {
    return new ArrayList<>(running.keySet());
  }

  private Classifier classifierFor(String task) {
    return classifiers
        .apply(task)
        .orElseThrow(
            () -> new IllegalArgumentException("no model serves task '" + task + "' on this node"));
  }

  private void requireCapacity() throws BatchBusyException {
    if (closed) {
      throw new BatchBusyException("this node is shutting down");
    }
    if (running.size() >= maxRunning) {
      throw new BatchBusyException(
          "this node already runs "
              + running.size()
              + " batch job(s), its limit; retry when one ends");
    }
  }

  private void launch(BatchJob job) {
    CompletableFuture<BatchProgress> done = new CompletableFuture<>();
    running.put(job.jobId(), new Running(job, done));
    // Counts what this run does: a resumed job's progress starts from its checkpoint.
    BatchCounts[] last = {job.progress().counts()};
    Consumer<BatchProgress> count =
        p -> {
          synchronized (last) {
            BatchCounts c = p.counts();
            classified.add(c.classified() - last[0].classified());
            skipped.add(c.skipped() - last[0].skipped());
            failed.add(c.failed() - last[0].failed());
            last[0] = c;
          }
        };
    runners.execute(
        () -> {
          try {
            BatchProgress end = job.run(count);
            count.accept(end);
            endedBy.computeIfAbsent(end.status(), k -> new LongAdder()).increment();
            done.complete(end);
          } catch (Exception | Error e) {
            done.completeExceptionally(e);
          } finally {
            synchronized (ended) {
              ended.put(job.jobId(), done);
            }
            running.remove(job.jobId());
          }
        });
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      running.values().forEach(r -> r.job().cancel());
    }
    runners.shutdown();
    try {
      // Each job stops at its next checkpoint after its frames in flight; give it that long.
      runners.awaitTermination(
          options.checkpointEvery().toMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
