package org.cityvision.core.batch;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;

/**
 * One batch job on this node: lists the prefix page by page, classifies every frame through a
 * {@link FrameProcessor} on a bounded pool, and checkpoints its progress to the store.
 *
 * <h2>Memory is bounded</h2>
 *
 * The listing is read one page at a time ({@link BatchOptions#pageSize()}) and the calling thread
 * hands frames to the pool only while fewer than {@link BatchOptions#parallelism()} are in flight,
 * so the job holds at most about one page and {@code parallelism} frames whatever the prefix size.
 *
 * <h2>Resumable</h2>
 *
 * Frames finish out of order, so the stored cursor only moves past a page once every frame of it
 * and of the pages before it has an outcome; a resumed job ({@link #resume}) lists again from there
 * with the counts of the frames before it. Frames after the cursor that the first run already
 * classified are skipped ({@link FrameStore#hasResult}), so each frame gets one result per model
 * version however often the job is interrupted.
 *
 * <h2>Cancellable from any node</h2>
 *
 * Every {@link BatchOptions#checkpointEvery()} the job reads its stored state: when another node
 * (or {@link JobLedger#requestCancel}) marked it cancelled, it stops taking frames, lets the frames
 * in flight finish and writes its final counts. {@link #cancel()} does the same from this JVM.
 *
 * <h2>Threads and ownership</h2>
 *
 * {@link #run} runs on the caller's thread (listing, checkpoints, the progress listener) and owns a
 * pool of {@code parallelism} threads plus one counting thread, all stopped before it returns.
 * {@link #cancel()} and {@link #progress()} may be called from any thread. The job owns neither the
 * store nor the classifier; run it once.
 */
public final class BatchJob {
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long RATE_WINDOW_NANOS = Duration.ofSeconds(30).toNanos();
  private static final int COUNT_PAGE = 1000;

  private final FrameStore store;
  private final JobLedger ledger;
  private final FrameProcessor processor;
  private final BatchOptions options;
  private final Clock clock;
  private final BatchProgress start;
  private final Tracker tracker;
  private final AtomicReference<Exception> fatal = new AtomicReference<>();
  private volatile boolean cancelRequested;
  private volatile boolean stopCounting;
  private volatile BatchProgress last;
  private boolean ran;

  private BatchJob(
      FrameStore store,
      Classifier classifier,
      BatchProgress start,
      BatchOptions options,
      Clock clock) {
    this.store = store;
    this.ledger = new JobLedger(store);
    this.processor =
        new FrameProcessor(
            store,
            classifier,
            start.request().flag(),
            options.overloadTimeout(),
            clock,
            options.flagListener(),
            options.audit());
    this.options = options;
    this.clock = clock;
    this.start = start;
    this.tracker = new Tracker(start);
    this.last = start;
  }

  /**
   * Creates a job (its state is written at once, so {@code GET /v1/batch/{jobId}} finds it before
   * it runs).
   */
  public static BatchJob create(
      FrameStore store,
      Classifier classifier,
      BatchRequest request,
      BatchOptions options,
      Clock clock)
      throws StorageException {
    Instant now = clock.instant();
    String jobId =
        "b"
            + ID_TIME.format(now)
            + "-"
            + String.format(Locale.ROOT, "%06x", RANDOM.nextInt(1 << 24));
    BatchProgress initial =
        new BatchProgress(
            jobId,
            request,
            classifier.spec().name(),
            classifier.spec().version(),
            JobStatus.RUNNING,
            -1,
            BatchCounts.ZERO,
            List.of(),
            0,
            -1,
            null,
            BatchCounts.ZERO,
            false,
            null,
            now,
            now);
    new JobLedger(store).save(initial);
    return new BatchJob(store, classifier, initial, options, clock);
  }

  /**
   * Continues a job from its last checkpoint, for example after its process was killed.
   *
   * @param takeOver resume a job whose state still says running (its node died without saying so);
   *     without it such a job is refused unless silent for {@link BatchProgressJson#STALL_AFTER}
   * @throws UnknownJobException if there is no such job
   * @throws JobConflictException if the job is done, running (and not taken over), or was written
   *     by another model version than {@code classifier}'s
   */
  public static BatchJob resume(
      FrameStore store,
      Classifier classifier,
      String jobId,
      BatchOptions options,
      Clock clock,
      boolean takeOver)
      throws StorageException, BatchException {
    Optional<BatchProgress> stored = new JobLedger(store).load(jobId);
    if (stored.isEmpty()) {
      throw new UnknownJobException("no batch job " + jobId);
    }
    BatchProgress p = stored.get();
    if (p.status() == JobStatus.DONE) {
      throw new JobConflictException("batch job " + jobId + " is done; start a new job to re-run");
    }
    if (p.status() == JobStatus.RUNNING
        && !takeOver
        && !p.stalled(clock.instant(), BatchProgressJson.STALL_AFTER)) {
      throw new JobConflictException(
          "batch job "
              + jobId
              + " is running (last update "
              + p.updatedAt()
              + "); resume it when stalled, or take it over");
    }
    String model = classifier.spec().name();
    String version = classifier.spec().version();
    if (!model.equals(p.model()) || !version.equals(p.version())) {
      throw new JobConflictException(
          "batch job "
              + jobId
              + " writes results of model "
              + p.model()
              + " "
              + p.version()
              + ", not "
              + model
              + " "
              + version);
    }
    // Counts restart from the checkpoint: the frames after it are listed (and counted) again.
    BatchProgress resumed =
        new BatchProgress(
            p.jobId(),
            p.request(),
            model,
            version,
            JobStatus.RUNNING,
            p.total(),
            p.checkpoint(),
            p.failures(),
            0,
            -1,
            p.cursor(),
            p.checkpoint(),
            p.listingComplete(),
            null,
            p.createdAt(),
            clock.instant());
    new JobLedger(store).save(resumed);
    return new BatchJob(store, classifier, resumed, options, clock);
  }

  public String jobId() {
    return start.jobId();
  }

  /** The progress as of the last checkpoint (or the final state once {@link #run} returned). */
  public BatchProgress progress() {
    return last;
  }

  /** Stops the job at its next checkpoint; frames in flight finish. Any thread. */
  public void cancel() {
    cancelRequested = true;
  }

  /**
   * Runs the job to its end on this thread.
   *
   * @param listener called on this thread after every checkpoint and with the final state
   * @return the final state, also written to the store: done, cancelled, or failed with the reason
   *     (an unavailable store, a closed classifier)
   * @throws StorageException if even the final state cannot be written
   */
  public BatchProgress run(Consumer<BatchProgress> listener) throws StorageException {
    synchronized (this) {
      if (ran) {
        throw new IllegalStateException("batch job " + jobId() + " has already run");
      }
      ran = true;
    }
    Objects.requireNonNull(listener, "listener");
    long runStart = System.nanoTime();
    tracker.startRate(runStart);
    long nextCheckpoint = runStart + options.checkpointEvery().toNanos();
    Semaphore permits = new Semaphore(options.parallelism());
    AtomicInteger threadNumber = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            options.parallelism(),
            r -> {
              Thread t = new Thread(r, "batch-" + jobId() + "-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    Thread counter =
        options.countTotal() && start.total() < 0 && !start.listingComplete()
            ? startCounter()
            : null;
    boolean interrupted = false;
    try {
      String cursor = start.cursor();
      boolean more = !start.listingComplete();
      pages:
      while (more && !stopping()) {
        Page<FrameEntry> page =
            store.listFrames(start.request().prefix(), cursor, options.pageSize());
        Ticket ticket = tracker.open(page.items().size(), page.nextCursor());
        for (FrameEntry entry : page.items()) {
          while (!permits.tryAcquire(
              Math.max(1, nextCheckpoint - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            nextCheckpoint = checkpoint(listener);
            if (stopping()) {
              break pages;
            }
          }
          if (System.nanoTime() >= nextCheckpoint) {
            nextCheckpoint = checkpoint(listener);
          }
          if (stopping()) {
            permits.release();
            break pages;
          }
          pool.execute(() -> processOne(entry.frameId(), ticket, permits));
        }
        cursor = page.nextCursor();
        more = cursor != null;
      }
    } catch (InterruptedException e) {
      interrupted = true;
      cancelRequested = true;
    } catch (StorageException | RuntimeException e) {
      fatal.compareAndSet(null, e);
    } finally {
      stopCounting = true;
      // Frames in flight finish (each is short), so every outcome is counted before the final
      // write.
      permits.acquireUninterruptibly(options.parallelism());
      pool.shutdown();
      if (counter != null) {
        counter.interrupt();
      }
    }
    BatchProgress end = finish(listener);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return end;
  }

  private void processOne(String frameId, Ticket ticket, Semaphore permits) {
    try {
      tracker.record(ticket, processor.process(frameId));
    } catch (RuntimeException e) {
      // Something about this frame that no typed exception covers (an OpenCV error, say): the
      // frame fails with the reason shown, and the job goes on.
      tracker.record(
          ticket, FrameOutcome.failed(frameId, FailureKind.INFERENCE_ERROR, e.toString()));
    } catch (Exception e) {
      // The store or the classifier is gone: the frame stays without an outcome, so the
      // checkpoint never moves past it, and the job stops.
      fatal.compareAndSet(null, e);
    } finally {
      permits.release();
    }
  }

  private boolean stopping() {
    return cancelRequested || fatal.get() != null;
  }

  /** Reads the stored state for a cancel from elsewhere, then writes progress unless cancelled. */
  private long checkpoint(Consumer<BatchProgress> listener) {
    try {
      Optional<BatchProgress> stored = ledger.load(jobId());
      if (stored.isPresent() && stored.get().status() == JobStatus.CANCELLED) {
        cancelRequested = true;
      }
      BatchProgress now = tracker.snapshot(JobStatus.RUNNING, null);
      last = now;
      if (!cancelRequested) {
        ledger.save(now);
      }
      listener.accept(now);
    } catch (StorageException e) {
      fatal.compareAndSet(null, e);
    }
    return System.nanoTime() + options.checkpointEvery().toNanos();
  }

  private BatchProgress finish(Consumer<BatchProgress> listener) throws StorageException {
    Exception failure = fatal.get();
    BatchProgress end;
    if (failure != null) {
      end =
          tracker.snapshot(
              JobStatus.FAILED, failure.getClass().getSimpleName() + ": " + failure.getMessage());
    } else if (cancelRequested) {
      end = tracker.snapshot(JobStatus.CANCELLED, null);
    } else {
      end = tracker.snapshot(JobStatus.DONE, null);
    }
    last = end;
    ledger.save(end);
    listener.accept(end);
    return end;
  }

  /** Counts the frames under the prefix, one listing page at a time, for the ETA. */
  private Thread startCounter() {
    Thread t =
        new Thread(
            () -> {
              long n = 0;
              String cursor = null;
              try {
                do {
                  if (stopCounting) {
                    return;
                  }
                  Page<FrameEntry> page =
                      store.listFrames(start.request().prefix(), cursor, COUNT_PAGE);
                  n += page.items().size();
                  cursor = page.nextCursor();
                } while (cursor != null);
                tracker.total(n);
              } catch (StorageException | RuntimeException e) {
                // Only the ETA depends on the total; the job itself goes on without it.
              }
            },
            "batch-count-" + jobId());
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** One listed page: how many of its frames have an outcome, and what they were. */
  private static final class Ticket {
    final int size;
    final String cursorAfter;
    final Tally tally = new Tally();
    int done;

    Ticket(int size, String cursorAfter) {
      this.size = size;
      this.cursorAfter = cursorAfter;
    }
  }

  /** Mutable counts, guarded by the tracker's lock. */
  private static final class Tally {
    long listed;
    long classified;
    long skipped;
    final EnumMap<FailureKind, Long> failedBy = new EnumMap<>(FailureKind.class);

    void add(Outcome outcome, FrameFailure failure) {
      switch (outcome) {
        case CLASSIFIED -> classified++;
        case SKIPPED -> skipped++;
        case FAILED -> failedBy.merge(failure.kind(), 1L, Long::sum);
      }
    }

    BatchCounts counts() {
      long failed = failedBy.values().stream().mapToLong(Long::longValue).sum();
      return new BatchCounts(listed, classified, skipped, failed, failedBy);
    }
  }

  /** The job's counts, checkpoint and rate; every method holds its lock. */
  private final class Tracker {
    private final ArrayDeque<Ticket> open = new ArrayDeque<>();
    private final ArrayDeque<long[]> rateSamples = new ArrayDeque<>();
    private final List<FrameFailure> failures;
    private final Set<String> failedIds = new HashSet<>();
    private BatchCounts committed;
    private String committedCursor;
    private boolean listingComplete;
    private long total;
    private long processedBefore;

    Tracker(BatchProgress start) {
      this.committed = start.checkpoint();
      this.committedCursor = start.cursor();
      this.listingComplete = start.listingComplete();
      this.total = start.total();
      this.failures = new ArrayList<>(start.failures());
      start.failures().forEach(f -> failedIds.add(f.frameId()));
    }

    synchronized void startRate(long nanos) {
      processedBefore = committed.processed();
      rateSamples.add(new long[] {nanos, 0});
    }

    synchronized Ticket open(int size, String cursorAfter) {
      Ticket t = new Ticket(size, cursorAfter);
      t.tally.listed = size;
      open.add(t);
      if (cursorAfter == null && total < 0) {
        // The listing reached its end, so the frames listed are all there are.
        long listed = committed.listed();
        for (Ticket o : open) {
          listed += o.tally.listed;
        }
        total = listed;
      }
      return t;
    }

    synchronized void record(Ticket ticket, FrameOutcome outcome) {
      ticket.tally.add(outcome.outcome(), outcome.failure());
      ticket.done++;
      if (outcome.failure() != null
          && failures.size() < options.failuresKept()
          && failedIds.add(outcome.frameId())) {
        failures.add(outcome.failure());
      }
    }

    synchronized void total(long value) {
      total = value;
    }

    synchronized BatchProgress snapshot(JobStatus status, String message) {
      while (!open.isEmpty() && open.peek().done == open.peek().size) {
        Ticket t = open.poll();
        committed = committed.plus(t.tally.counts());
        if (t.cursorAfter == null) {
          listingComplete = true;
        } else {
          committedCursor = t.cursorAfter;
        }
      }
      BatchCounts counts = committed;
      for (Ticket t : open) {
        counts = counts.plus(t.tally.counts());
      }
      long now = System.nanoTime();
      long processedThisRun = counts.processed() - processedBefore;
      rateSamples.add(new long[] {now, processedThisRun});
      while (rateSamples.size() > 2 && now - rateSamples.peek()[0] > RATE_WINDOW_NANOS) {
        rateSamples.poll();
      }
      long[] oldest = rateSamples.peek();
      double seconds = (now - oldest[0]) / 1e9;
      double rate = seconds > 0 ? (processedThisRun - oldest[1]) / seconds : 0;
      long eta = -1;
      if (status == JobStatus.RUNNING && total >= 0 && rate > 0) {
        eta = (long) Math.ceil(Math.max(0, total - counts.processed()) / rate);
      }
      return new BatchProgress(
          start.jobId(),
          start.request(),
          start.model(),
          start.version(),
          status,
          total,
          counts,
          failures,
          Math.max(0, rate),
          eta,
          committedCursor,
          committed,
          listingComplete,
          message,
          start.createdAt(),
          clock.instant());
    }
  }
}
