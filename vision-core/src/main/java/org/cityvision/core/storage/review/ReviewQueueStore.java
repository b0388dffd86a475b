package org.cityvision.core.storage.review;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FlagGroups;
import org.cityvision.core.storage.FlagRecount;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.QueueIndex;
import org.cityvision.core.storage.QueueKey;
import org.cityvision.core.storage.ReviewLease;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.StoreJson;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.core.storage.bucket.Cursors;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.core.storage.spool.SpoolObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The review queue: flags (a chain of immutable revisions per frame), the queue markers that index
 * them, reviewers' verdicts, the queue's counts, near-duplicate groups and review leases. The
 * {@link FrameStore} operations of these kinds, with the same contracts.
 *
 * <h2>Concurrency scheme</h2>
 *
 * A flag is a chain of immutable revisions {@code flags/log/{frameId}/{inverted revision}.json}; a
 * review reads the newest revision {@code r} and creates {@code r+1} with {@code If-None-Match: *}:
 * of two reviewers, one creates it and the other gets {@link ConflictException}. The queue entries
 * under {@code flags/{status}/...} are empty markers derived from the log: written after the
 * revision, checked against the log when listed, and repaired there if a crash left one stale.
 * Review leases are a chain of generations per frame, claimed the same way.
 *
 * <p>Owned by the store that made it, over that store's bucket; {@link #start} starts its counter
 * thread and {@link #close} stops it and the page readers. Thread-safe.
 */
public final class ReviewQueueStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReviewQueueStore.class);

  /** Bound on queue keys one {@link #listFlags} call examines before it returns a cursor. */
  private static final int FLAG_SCAN_BOUND = 20_000;

  private final DurableBucket bucket;
  private final Clock clock;
  private final MinioFlagGroups flagGroups;
  private final FlagCounters counters;
  private final ReviewLeases leases;

  /** Reads the flags of a queue page in parallel; daemon threads, shut down on close. */
  private final ExecutorService reads;

  public ReviewQueueStore(DurableBucket bucket, Clock clock) {
    this.bucket = bucket;
    this.clock = clock;
    this.flagGroups = new MinioFlagGroups(bucket);
    this.counters = new FlagCounters(bucket, this, clock);
    this.leases = new ReviewLeases(bucket, clock);
    AtomicInteger readers = new AtomicInteger();
    this.reads =
        Executors.newFixedThreadPool(
            16,
            r -> {
              Thread t = new Thread(r, "cityvision-flag-reads-" + readers.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the thread that writes this node's counter changes. */
  public void start() {
    counters.start();
  }

  // ------------------------------------------------------------------ flags

  /** See {@link FrameStore#createFlag}. */
  public FlagRecord createFlag(FlagRecord flag) throws StorageException {
    if (flag.status() != FlagStatus.OPEN || flag.revision() != 1) {
      throw new IllegalArgumentException("a new flag must be open at revision 1, got " + flag);
    }
    List<SpoolObject> objects = new ArrayList<>(5);
    objects.add(DurableBucket.json(StorageKeys.flagRevision(flag.frameId(), 1), flag, true));
    for (String key : StorageKeys.queueEntries(FlagStatus.OPEN, flag)) {
      objects.add(DurableBucket.marker(key));
    }
    if (!bucket.down()) {
      try {
        bucket.put(objects.get(0));
        counters.created(flag);
        for (SpoolObject marker : objects.subList(1, objects.size())) {
          bucket.put(marker);
        }
        return flag;
      } catch (ConflictException e) {
        // Flagged before; a crash may have left it without queue entries, so write them again.
        FlagRecord existing = flag(flag.frameId());
        writeQueueEntries(existing);
        return existing;
      } catch (StoreUnavailableException e) {
        bucket.markDown();
      }
    }
    bucket.appendToSpool(objects);
    counters.created(flag);
    return flag;
  }

  /** See {@link FrameStore#flag}. */
  public FlagRecord flag(String frameId) throws StorageException {
    FrameId.parse(frameId);
    Optional<FlagRecord> head = flagHead(frameId);
    if (head.isPresent()) {
      return head.get();
    }
    // Created while MinIO was down and not delivered yet.
    List<String> spooled = bucket.spool().keys(StorageKeys.flagLogPrefix(frameId));
    if (!spooled.isEmpty()) {
      Optional<SpoolObject> o = bucket.spool().find(spooled.get(0));
      if (o.isPresent()) {
        return StoreJson.read(o.get().content(), FlagRecord.class, spooled.get(0));
      }
    }
    throw new ObjectNotFoundException("frame " + frameId + " has no flag");
  }

  /**
   * The newest readable revision in MinIO: one listing of the newest few keys, then one GET (more
   * only while a write is in flight). A revision can be listed before it can be read (another
   * reviewer's conditional PUT still landing, or losing); until it reads, the revision before it is
   * the head, so a concurrent reviewer gets a conflict when writing, never "no flag".
   */
  public Optional<FlagRecord> flagHead(String frameId) throws StorageException {
    return bucket.newest(StorageKeys.flagLogPrefix(frameId), FlagRecord.class);
  }

  /** See {@link FrameStore#listFlags}. */
  public Page<FlagRecord> listFlags(FlagQuery q) throws StorageException {
    // A camera's or a label's own index when filtering by one, so that the listing costs what
    // that camera or label holds rather than the whole queue.
    QueueIndex index = StorageKeys.queueIndex(q.status(), q.order());
    FlagOrder keyOrder = q.order();
    if (q.order() == FlagOrder.NEWEST_FIRST && q.cameraId() != null) {
      index = StorageKeys.cameraQueue(q.status(), q.cameraId());
    } else if (q.order() == FlagOrder.NEWEST_FIRST && q.label() != null) {
      index = StorageKeys.labelQueue(q.status(), q.label());
    }
    String cursorKey = Cursors.decode(q.cursor(), index.root());
    String after = cursorKey == null ? null : index.nameOf(cursorKey);
    if (q.order() == FlagOrder.NEWEST_FIRST && q.until() != null) {
      // Names sort newest first, so everything raised after `until` sorts before this point.
      String start = StorageKeys.newestFirstFrom(q.until());
      if (after == null || after.compareTo(start) < 0) {
        after = start;
      }
    }
    List<FlagRecord> items = new ArrayList<>();
    // Markers whose flags are still to be read: read together, in parallel, when the page could be
    // full with them, so that a page costs about one request's time per flag, not two in a row.
    List<String> pendingKeys = new ArrayList<>();
    List<QueueKey> pending = new ArrayList<>();
    String last = after == null ? null : index.root() + after;
    int scanned = 0;
    try (QueueWalk walk = new QueueWalk(bucket, index, after, reads)) {
      for (String key = walk.next(); key != null; key = walk.next()) {
        QueueKey entry = StorageKeys.queueKeyOf(key, keyOrder);
        if (entry == null) {
          last = key;
          continue;
        }
        if (q.order() == FlagOrder.NEWEST_FIRST
            && q.since() != null
            && entry.flaggedAtMillis() < q.since().toEpochMilli()) {
          readQueued(q, pendingKeys, pending, items);
          return new Page<>(items, null);
        }
        if (items.size() + pending.size() == q.limit() || scanned == FLAG_SCAN_BOUND) {
          readQueued(q, pendingKeys, pending, items);
          if (items.size() == q.limit() || scanned == FLAG_SCAN_BOUND) {
            return new Page<>(items, Cursors.encode(last));
          }
        }
        scanned++;
        last = key;
        if (entry.matches(q)) {
          pendingKeys.add(key);
          pending.add(entry);
        }
      }
      readQueued(q, pendingKeys, pending, items);
    }
    return new Page<>(items, null);
  }

  /**
   * Reads the flags of {@code entries} in parallel and adds, in marker order, those still in the
   * queried status (and model); repairs the markers a crash left stale. Empties both lists.
   */
  private void readQueued(
      FlagQuery q, List<String> keys, List<QueueKey> entries, List<FlagRecord> items)
      throws StorageException {
    List<Future<Optional<FlagRecord>>> heads = new ArrayList<>();
    for (QueueKey entry : entries) {
      heads.add(reads.submit(() -> queuedFlag(entry)));
    }
    for (int i = 0; i < entries.size(); i++) {
      Optional<FlagRecord> head;
      try {
        head = heads.get(i).get();
      } catch (ExecutionException e) {
        heads.forEach(h -> h.cancel(true));
        throw e.getCause() instanceof StorageException s
            ? s
            : DurableBucket.translate("read flag", (Exception) e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while reading flags", e);
      }
      if (head.isPresent() && head.get().status() == q.status()) {
        // Model and reason are in the flag, not in the marker: their filters read each flag they
        // skip.
        if ((q.model() == null || q.model().equals(head.get().model()))
            && (q.reason() == null || q.reason().equals(head.get().reason()))) {
          items.add(head.get());
        }
      } else {
        // A crash between a review and its queue update left this marker behind.
        repairQueue(keys.get(i), entries.get(i).frameId(), head);
      }
    }
    keys.clear();
    entries.clear();
  }

  /**
   * The flag a marker names: one GET of the revision in the marker's name, or, for a marker without
   * one (or a revision not readable yet), the newest revision from the flag's log.
   */
  private Optional<FlagRecord> queuedFlag(QueueKey entry) throws StorageException {
    if (entry.revision() > 0) {
      Optional<FlagRecord> flag =
          bucket.readJson(
              StorageKeys.flagRevision(entry.frameId(), entry.revision()), FlagRecord.class);
      if (flag.isPresent()) {
        return flag;
      }
    }
    return flagHead(entry.frameId());
  }

  /**
   * Best effort after a verdict was refused because the flag is no longer open: a page may have
   * shown it from an open marker that a crash left behind (pages read the marker's revision, not
   * the flag's newest), so the open markers of its earlier revisions go and its own are written.
   */
  private void repairOpenMarkers(FlagRecord head) {
    try {
      for (String key : bucket.listRevisions(StorageKeys.flagLogPrefix(head.frameId()), 32)) {
        if (StorageKeys.revisionOf(key) >= head.revision()) {
          continue;
        }
        Optional<FlagRecord> earlier = bucket.readJson(key, FlagRecord.class);
        if (earlier.isPresent() && earlier.get().status() == FlagStatus.OPEN) {
          bucket.removeAll(StorageKeys.queueEntries(FlagStatus.OPEN, earlier.get()));
        }
      }
      writeQueueEntries(head);
    } catch (StorageException e) {
      LOG.warn("flag {}: stale open markers not repaired ({})", head.frameId(), e.getMessage());
    }
  }

  /** See {@link FrameStore#reviewFlag}. */
  public FlagRecord reviewFlag(FlagReview review) throws StorageException {
    int attempts = review.override() ? 5 : 1;
    ConflictException lost = null;
    for (int attempt = 0; attempt < attempts; attempt++) {
      FlagRecord head =
          flagHead(review.frameId())
              .orElseThrow(
                  () -> new ObjectNotFoundException("frame " + review.frameId() + " has no flag"));
      if (!review.override() && head.status() != FlagStatus.OPEN) {
        repairOpenMarkers(head);
        throw new ConflictException(
            "flag "
                + review.frameId()
                + " is already "
                + head.status().keyName()
                + " by "
                + head.reviewer()
                + " at "
                + head.reviewedAt()
                + "; override to replace it");
      }
      Instant now = clock.instant();
      FlagRecord next = head.reviewed(review, now);
      try {
        putRevision(next);
      } catch (ConflictException e) {
        lost =
            new ConflictException(
                "flag " + review.frameId() + " was reviewed by someone else at the same time", e);
        continue;
      }
      recordVerdict(
          head, next, review.reviewer(), review.verdict(), review.label(), review.note(), now);
      return next;
    }
    throw lost;
  }

  /** See {@link FrameStore#reopenFlag}. */
  public FlagRecord reopenFlag(String frameId, long revision, String reviewer)
      throws StorageException {
    FrameId.parse(frameId);
    Names.requireDottedSegment("reviewer", reviewer);
    FlagRecord head =
        flagHead(frameId)
            .orElseThrow(() -> new ObjectNotFoundException("frame " + frameId + " has no flag"));
    if (head.status() == FlagStatus.OPEN) {
      throw new ConflictException("flag " + frameId + " is open: there is no verdict to take back");
    }
    if (head.revision() != revision) {
      throw new ConflictException(
          "flag "
              + frameId
              + " is at revision "
              + head.revision()
              + ", not "
              + revision
              + ": "
              + head.reviewer()
              + " gave a later verdict ("
              + head.status().keyName()
              + ") at "
              + head.reviewedAt());
    }
    Instant now = clock.instant();
    FlagRecord next = head.reopened();
    try {
      putRevision(next);
    } catch (ConflictException e) {
      throw new ConflictException(
          "flag " + frameId + " was changed by someone else at the same time", e);
    }
    recordVerdict(head, next, reviewer, Verdict.REOPEN, null, null, now);
    return next;
  }

  /** Creates the flag's next revision; {@link ConflictException} if another writer did first. */
  private void putRevision(FlagRecord next) throws StorageException {
    bucket.put(
        DurableBucket.json(StorageKeys.flagRevision(next.frameId(), next.revision()), next, true));
  }

  /**
   * After a verdict's revision {@code next} of {@code head} was written: counts the move, appends
   * the verdict to the reviews log and moves the queue markers.
   */
  private void recordVerdict(
      FlagRecord head,
      FlagRecord next,
      String reviewer,
      Verdict verdict,
      String label,
      String note,
      Instant now)
      throws StorageException {
    counters.moved(head, next);
    ReviewRecord record =
        new ReviewRecord(
            head.frameId(),
            reviewer,
            verdict,
            label,
            note,
            head.model(),
            head.modelVersion(),
            head.label(),
            head.status(),
            next.revision(),
            now);
    bucket.put(DurableBucket.json(StorageKeys.review(record), record, false));
    moveQueueEntries(head, next);
  }

  /**
   * Writes the markers of {@code to} and removes those of {@code from} (their names differ even in
   * one status: they carry the revision), and any {@code from} had without a revision.
   */
  private void moveQueueEntries(FlagRecord from, FlagRecord to) throws StorageException {
    writeQueueEntries(to);
    Set<String> old = new HashSet<>(StorageKeys.queueEntries(from.status(), from));
    old.addAll(StorageKeys.unrevisionedQueueEntries(from.status(), from));
    old.removeAll(StorageKeys.queueEntries(to.status(), to));
    // One multi-object delete, whichever of these names exist.
    bucket.removeAll(old);
  }

  /** Removes a stale queue marker and makes sure the flag's current markers exist. */
  private void repairQueue(String staleKey, String frameId, Optional<FlagRecord> head)
      throws StorageException {
    if (head.isEmpty() && !bucket.spool().keys(StorageKeys.flagLogPrefix(frameId)).isEmpty()) {
      return; // Created while MinIO was down; the flusher delivers the revision next.
    }
    if (head.isPresent()) {
      writeQueueEntries(head.get());
    }
    bucket.remove(staleKey);
  }

  private void writeQueueEntries(FlagRecord flag) throws StorageException {
    for (String key : StorageKeys.queueEntries(flag.status(), flag)) {
      bucket.put(DurableBucket.marker(key));
    }
  }

  /** See {@link FrameStore#flagCounts}. */
  public FlagCounts flagCounts() throws StorageException {
    return counters.counts();
  }

  /** See {@link FrameStore#flagCountsSince}. */
  public List<FlagCounts> flagCountsSince(long revision) throws StorageException {
    return counters.since(revision);
  }

  /** See {@link FrameStore#recountFlags}. */
  public FlagRecount recountFlags() throws StorageException {
    return counters.recount();
  }

  /**
   * Moves the flat queue markers of a store written before the bucketed index into it ({@link
   * QueueIndexMigration}); the number moved (0, after one listing per status, once done).
   */
  public long migrateQueueIndex() throws StorageException {
    return QueueIndexMigration.run(bucket, reads);
  }

  /** Retention deleted a flag: it leaves the counts. */
  public void flagDeleted(FlagRecord flag) {
    counters.deleted(flag);
  }

  /** See {@link FrameStore#flagGroups}. */
  public FlagGroups flagGroups() {
    return flagGroups;
  }

  // ------------------------------------------------------------------ review leases

  /** See {@link FrameStore#leaseFlag}. */
  public Optional<ReviewLease> leaseFlag(String frameId, String holder, Duration ttl)
      throws StorageException {
    return leases.lease(frameId, holder, ttl);
  }

  /** See {@link FrameStore#releaseFlag}. */
  public boolean releaseFlag(String frameId, String holder) throws StorageException {
    return leases.release(frameId, holder);
  }

  // ------------------------------------------------------------------ verdicts

  /** See {@link FrameStore#listReviews}. */
  public Page<ReviewRecord> listReviews(String cursor, int limit) throws StorageException {
    DurableBucket.requirePageLimit(limit);
    Page<String> keys = bucket.listKeyPage(StorageKeys.REVIEWS, cursor, limit);
    List<ReviewRecord> out = new ArrayList<>(keys.items().size());
    for (String key : keys.items()) {
      out.add(StoreJson.read(bucket.read(key).bytes(), ReviewRecord.class, key));
    }
    return new Page<>(out, keys.nextCursor());
  }

  /** Stops the counter thread (after writing this node's last changes) and the page readers. */
  @Override
  public void close() {
    counters.close();
    reads.shutdownNow();
  }
}
