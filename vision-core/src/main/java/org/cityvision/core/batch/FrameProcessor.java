package org.cityvision.core.batch;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.AuditSampler;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassifiedFrames;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierClosedException;
import org.cityvision.core.classify.FlagListener;
import org.cityvision.core.classify.FlagPolicy;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.classify.OverCapacityException;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.FrameData;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ImageNotKeptException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.StorageException;

/**
 * The batch step for one frame: skip it when it already has a result of this model version, else
 * fetch it (checksum verified), classify it with the same {@link Classifier} pipeline as serving,
 * and write its flag (when asked, through the same {@link FlagPolicy} as live ingest) and its
 * result through the same {@link ClassifiedFrames} write path as live ingest, which also tells the
 * {@link FlagListener} (webhooks on a serving node) of each flag created.
 *
 * <p>Problems of one frame (an unreadable image, a corrupt or vanished object, a key that is not a
 * frame) are outcomes, not exceptions. Exceptions mean the job cannot go on: the store is
 * unavailable, or the classifier was closed.
 *
 * <p>Thread-safe and stateless beyond its collaborators, so one processor serves all of a job's
 * threads (and a Spark executor's tasks). It owns nothing: the caller closes the store and the
 * classifier.
 */
public final class FrameProcessor {
  private static final long BACKOFF_MIN_NANOS = Duration.ofMillis(2).toNanos();
  private static final long BACKOFF_MAX_NANOS = Duration.ofMillis(100).toNanos();

  private final FrameStore store;
  private final Classifier classifier;
  private final FlagPolicy flagPolicy;
  private final ClassifiedFrames writes;
  private final Clock clock;
  private final Duration overloadTimeout;
  private final String model;
  private final String version;

  /**
   * @param flag create flags for frames the model's thresholds flag
   * @param overloadTimeout how long to retry a frame the classifier refuses as over capacity
   * @param listener told of every flag created; see its obligations
   */
  public FrameProcessor(
      FrameStore store,
      Classifier classifier,
      boolean flag,
      Duration overloadTimeout,
      Clock clock,
      FlagListener listener) {
    this(store, classifier, flag, overloadTimeout, clock, listener, AuditSampler.NONE);
  }

  /**
   * @param audit which unflagged frames become audit items (only when {@code flag})
   */
  public FrameProcessor(
      FrameStore store,
      Classifier classifier,
      boolean flag,
      Duration overloadTimeout,
      Clock clock,
      FlagListener listener,
      AuditSampler audit) {
    this.store = Objects.requireNonNull(store, "store");
    this.classifier = Objects.requireNonNull(classifier, "classifier");
    ModelSpec spec = classifier.spec();
    this.flagPolicy = flag ? new FlagPolicy(spec.thresholds()) : FlagPolicy.NEVER;
    this.writes = new ClassifiedFrames(store, listener, audit);
    this.overloadTimeout = Objects.requireNonNull(overloadTimeout, "overloadTimeout");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.model = spec.name();
    this.version = spec.version();
  }

  /** The model name results are stored under. */
  public String model() {
    return model;
  }

  /** The model version results are stored under. */
  public String version() {
    return version;
  }

  /**
   * Processes one listed frame.
   *
   * @throws StorageException the store failed in a way that is not about this frame
   * @throws ClassifierClosedException the classifier was closed (or this thread interrupted)
   */
  public FrameOutcome process(String frameId) throws StorageException, ClassifierClosedException {
    try {
      FrameId.parse(frameId);
    } catch (IllegalArgumentException e) {
      return FrameOutcome.failed(frameId, FailureKind.INVALID_KEY, e.getMessage());
    }
    if (store.hasResult(frameId, model, version)) {
      return FrameOutcome.skipped(frameId);
    }
    FrameData frame;
    try {
      frame = store.readFrame(frameId);
    } catch (ChecksumMismatchException e) {
      return FrameOutcome.failed(frameId, FailureKind.CORRUPT_OBJECT, e.getMessage());
    } catch (ImageNotKeptException e) {
      // A static frame kept as its record: its scene is classified through the frame it reused.
      return FrameOutcome.skipped(frameId);
    } catch (ObjectNotFoundException e) {
      return FrameOutcome.failed(frameId, FailureKind.MISSING_OBJECT, e.getMessage());
    }
    Classification c;
    try {
      c = classify(frame.bytes());
    } catch (ImageException e) {
      return FrameOutcome.failed(frameId, FailureKind.UNREADABLE_IMAGE, e.getMessage());
    } catch (OverCapacityException e) {
      return FrameOutcome.failed(frameId, FailureKind.OVERLOADED, e.getMessage());
    } catch (ClassifierClosedException e) {
      throw e;
    } catch (VisionException e) {
      return FrameOutcome.failed(frameId, FailureKind.INFERENCE_ERROR, e.getMessage());
    }
    // A job counts the issues it flagged; audit items are questions to reviewers, not issues.
    Optional<FlagRecord> flag =
        writes
            .record(frameId, c, flagPolicy, clock.instant())
            .filter(f -> !FlagRecord.AUDIT.equals(f.reason()));
    return FrameOutcome.classified(
        frameId, flag.map(f -> new LabelScore(f.label(), f.score())).orElse(null));
  }

  /**
   * Classifies, retrying while the classifier's queue is full: it is shared with live requests,
   * which should win, so the job backs off rather than fails.
   */
  private Classification classify(byte[] bytes) throws VisionException {
    long deadline = System.nanoTime() + overloadTimeout.toNanos();
    long backoff = BACKOFF_MIN_NANOS;
    while (true) {
      try {
        return classifier.classify(bytes);
      } catch (OverCapacityException e) {
        if (System.nanoTime() + backoff > deadline) {
          throw e;
        }
        LockSupport.parkNanos(backoff);
        if (Thread.currentThread().isInterrupted()) {
          throw new ClassifierClosedException("interrupted while the classifier was over capacity");
        }
        backoff = Math.min(BACKOFF_MAX_NANOS, backoff * 2);
      }
    }
  }
}
