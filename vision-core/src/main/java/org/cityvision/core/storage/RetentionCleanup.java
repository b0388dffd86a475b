package org.cityvision.core.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.core.storage.frames.FrameResultStore;
import org.cityvision.core.storage.review.ReviewQueueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns retention: walks {@code frames/} in chunks (one listing page and a few batched deletes per
 * chunk, so memory stays bounded by the chunk) and deletes what the {@link RetentionPolicy} lets
 * go.
 *
 * <ul>
 *   <li>A frame captured more than {@code unflaggedFrames} ago with no flag is deleted, with its
 *       thumbnail and results.
 *   <li>A flagged frame is kept while the flag is open; once reviewed, it is deleted with its
 *       thumbnail, results, flag revisions and queue entries when both {@code unflaggedFrames}
 *       after capture and {@code reviewedFlags} after the last review have passed.
 *   <li>Verdicts ({@code reviews/}), API keys and job state are never deleted.
 *   <li>Nothing with a write still waiting in the spool is deleted.
 *   <li>A thumbnail whose frame does not exist (a node killed between writing the two) is deleted
 *       once it is older than {@link #ORPHAN_GRACE}.
 *   <li>Idempotency records older than {@code idempotencyKeys}, and lease records older than {@link
 *       #LEASE_RECORDS}, are deleted.
 * </ul>
 *
 * <h2>Crash safety</h2>
 *
 * Within a chunk, a frame's dependents (queue entries, results, thumbnail) are deleted first, its
 * flag revisions next and the frame object last: the walk is over frames, so a pass killed at any
 * point leaves each frame either untouched or still present with fewer dependents, and the next
 * pass finds it and finishes. Nothing a later pass would keep is deleted early.
 *
 * <p>Safe to run on several nodes at once (deletes are idempotent), though one is enough. Not
 * thread-safe itself: one instance per pass.
 */
final class RetentionCleanup {
  /** How old a thumbnail without its frame must be before it counts as left by a crash. */
  static final Duration ORPHAN_GRACE = Duration.ofHours(1);

  /** How long lease records of past slots are kept (they only matter within their slot). */
  static final Duration LEASE_RECORDS = Duration.ofDays(7);

  private static final Logger LOG = LoggerFactory.getLogger(RetentionCleanup.class);

  private final DurableBucket bucket;
  private final FrameResultStore frames;
  private final ReviewQueueStore review;
  private final RetentionPolicy policy;
  private final boolean dryRun;
  private final Consumer<RetentionReport> progress;

  RetentionCleanup(
      DurableBucket bucket,
      FrameResultStore frames,
      ReviewQueueStore review,
      RetentionPolicy policy,
      boolean dryRun,
      Consumer<RetentionReport> progress) {
    this.bucket = bucket;
    this.frames = frames;
    this.review = review;
    this.policy = policy;
    this.dryRun = dryRun;
    this.progress = progress;
  }

  RetentionReport run(Instant now, int chunkSize) throws StorageException {
    if (chunkSize < 1 || chunkSize > 1000) {
      throw new IllegalArgumentException("chunkSize must be in 1..1000, got " + chunkSize);
    }
    Instant capturedBefore = now.minus(policy.unflaggedFrames());
    Instant reviewedBefore = now.minus(policy.reviewedFlags());
    long scanned = 0;
    long framesDeleted = 0;
    long flagsDeleted = 0;
    long keptOpen = 0;
    long keptSpooled = 0;
    long orphans = 0;
    // Keys list a frame ({id}.jpg or .png) right before its thumbnail ({id}.thumb.jpg).
    Optional<FrameId> lastFrame = Optional.empty();
    String cursor = null;
    do {
      Page<String> page = bucket.listKeyPage(StorageKeys.FRAMES, cursor, chunkSize);
      List<String> dependents = new ArrayList<>();
      List<String> flagLogs = new ArrayList<>();
      List<FlagRecord> deletedFlags = new ArrayList<>();
      List<String> frameKeys = new ArrayList<>();
      for (String key : page.items()) {
        if (StorageKeys.isThumbnail(key)) {
          Optional<FrameId> of = StorageKeys.frameOfThumbnail(key);
          if (of.isPresent() && !of.equals(lastFrame) && orphan(key, of.get(), now)) {
            dependents.add(key);
            orphans++;
          }
          continue;
        }
        scanned++;
        lastFrame = StorageKeys.frameOf(key);
        if (lastFrame.isEmpty()) {
          continue; // Not written by this store; leave it alone.
        }
        FrameId id = lastFrame.get();
        if (!id.capturedAt().isBefore(capturedBefore)) {
          continue; // Young frames need no request at all.
        }
        String frameId = id.value();
        if (inSpool(id, key)) {
          keptSpooled++;
          continue;
        }
        Optional<FlagRecord> flag = review.flagHead(frameId);
        if (flag.isPresent()) {
          if (flag.get().status() == FlagStatus.OPEN) {
            keptOpen++;
            continue;
          }
          if (!flag.get().reviewedAt().isBefore(reviewedBefore)) {
            continue;
          }
          for (FlagStatus status : FlagStatus.values()) {
            dependents.addAll(StorageKeys.queueEntries(status, flag.get()));
            dependents.addAll(StorageKeys.unrevisionedQueueEntries(status, flag.get()));
            dependents.addAll(StorageKeys.legacyQueueEntries(status, flag.get()));
          }
          dependents.addAll(bucket.listKeys(StorageKeys.reviewLeasePrefix(frameId), 100_000));
          flagLogs.addAll(bucket.listKeys(StorageKeys.flagLogPrefix(frameId), 100_000));
          deletedFlags.add(flag.get());
          flagsDeleted++;
        }
        dependents.add(StorageKeys.thumbnail(id));
        dependents.addAll(bucket.listKeys(StorageKeys.resultsPrefix(frameId), 100_000));
        frameKeys.add(key);
        framesDeleted++;
      }
      if (!dryRun) {
        bucket.removeAll(dependents);
        bucket.removeAll(flagLogs);
        deletedFlags.forEach(review::flagDeleted);
        bucket.removeAll(frameKeys);
      }
      cursor = page.nextCursor();
      progress.accept(
          new RetentionReport(
              scanned, framesDeleted, flagsDeleted, keptOpen, keptSpooled, 0, orphans));
    } while (cursor != null);
    long idempotencyDeleted =
        expire(StorageKeys.IDEMPOTENCY, now.minus(policy.idempotencyKeys()), chunkSize);
    expire(StorageKeys.LEASES, now.minus(LEASE_RECORDS), chunkSize);
    RetentionReport report =
        new RetentionReport(
            scanned,
            framesDeleted,
            flagsDeleted,
            keptOpen,
            keptSpooled,
            idempotencyDeleted,
            orphans);
    LOG.info("retention pass{}: {}", dryRun ? " (dry run)" : "", report);
    return report;
  }

  /**
   * A thumbnail whose frame is neither stored nor spooled, and old enough not to be a write in
   * flight.
   */
  private boolean orphan(String thumbKey, FrameId id, Instant now) throws StorageException {
    if (inSpool(id, StorageKeys.frame(id, "image/jpeg"))
        || bucket.spool().contains(StorageKeys.frame(id, "image/png"))) {
      return false;
    }
    try {
      frames.frame(id.value());
      return false;
    } catch (ObjectNotFoundException missing) {
      Optional<Instant> written = bucket.stat(thumbKey).map(DurableBucket.Stat::lastModified);
      return written.isPresent() && written.get().isBefore(now.minus(ORPHAN_GRACE));
    }
  }

  private boolean inSpool(FrameId id, String key) {
    var spool = bucket.spool();
    return spool.contains(key)
        || spool.contains(StorageKeys.thumbnail(id))
        || !spool.keys(StorageKeys.resultsPrefix(id.value())).isEmpty()
        || !spool.keys(StorageKeys.flagLogPrefix(id.value())).isEmpty();
  }

  /** Deletes the objects under {@code prefix} last written before {@code writtenBefore}. */
  private long expire(String prefix, Instant writtenBefore, int chunkSize) throws StorageException {
    long[] deleted = {0};
    List<String> doomed = new ArrayList<>();
    bucket.walk(
        prefix,
        null,
        entry -> {
          if (entry.lastModified() != null && entry.lastModified().isBefore(writtenBefore)) {
            doomed.add(entry.key());
            if (doomed.size() == chunkSize) {
              if (!dryRun) {
                bucket.removeAll(doomed);
              }
              deleted[0] += doomed.size();
              doomed.clear();
            }
          }
          return true;
        });
    if (!dryRun) {
      bucket.removeAll(doomed);
    }
    return deleted[0] + doomed.size();
  }
}
