package org.cityvision.core.storage.review;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.cityvision.core.review.FlagChange;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FlagRecount;
import org.cityvision.core.storage.QueueKey;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.bucket.DurableBucket;

/**
 * The review queue's maintained counters: one record of exact counts ({@link FlagCounts}) kept as a
 * chain of immutable revisions {@code system/counts/flags/{inverted revision}.json}, newest listed
 * first, like a flag's log.
 *
 * <h2>Across nodes</h2>
 *
 * Each node adds its changes (flag created, judged, deleted) to a local delta and a background
 * thread folds the delta into the store: read the newest revision {@code r}, write {@code r+1} with
 * {@code If-None-Match: *}; a node that loses the race reads again and retries, so no node's change
 * is lost or applied twice. Changes made while the store is down stay in the delta until it is
 * back. A reader first writes its own node's delta, so a node's own verdict shows in its next read;
 * other nodes' changes show as soon as their thread has written them (milliseconds).
 *
 * <h2>Drift and repair</h2>
 *
 * A node that dies between storing a change and writing its delta leaves the counts off by that
 * change. {@link #recount} counts the queue markers by listing them and, when no counter revision
 * landed while it listed, writes the recount as the next revision and reports the difference (the
 * drift). It also writes missing per-camera and per-label queue markers.
 *
 * <p>Owned by its {@link ReviewQueueStore}, which closes it. Thread-safe.
 */
final class FlagCounters implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(FlagCounters.class.getName());
  private static final String STATUS = "s:";
  private static final String CAMERA = "c:";
  private static final String LABEL = "l:";
  private static final int MAX_ATTEMPTS = 64;

  /** Revisions kept behind the newest; older ones are deleted now and then. */
  private static final int KEEP = 64;

  private final DurableBucket bucket;
  private final ReviewQueueStore queue;
  private final Clock clock;
  private final ReentrantLock writing = new ReentrantLock();
  private final Semaphore signal = new Semaphore(0);
  private final Thread flusher;
  private Map<String, Long> pending = new HashMap<>();
  private List<FlagChange> changes = new ArrayList<>();
  private long dropped;
  private volatile boolean closed;

  FlagCounters(DurableBucket bucket, ReviewQueueStore queue, Clock clock) {
    this.bucket = bucket;
    this.queue = queue;
    this.clock = clock;
    this.flusher = new Thread(this::run, "cityvision-flag-counters");
    flusher.setDaemon(true);
  }

  void start() {
    flusher.start();
  }

  /** A flag was put on the queue. */
  void created(FlagRecord flag) {
    add(flag, 1);
    changed(FlagChange.of(FlagChange.CREATED, flag, clock.instant()));
    signal.release();
  }

  /** A verdict moved a flag from one revision to the next. */
  void moved(FlagRecord from, FlagRecord to) {
    if (from.status() == to.status()) {
      return;
    }
    add(from, -1);
    add(to, 1);
    changed(FlagChange.of(FlagChange.REVIEWED, to, clock.instant()));
    signal.release();
  }

  /** Retention deleted a flag. */
  void deleted(FlagRecord flag) {
    add(flag, -1);
    changed(FlagChange.of(FlagChange.DELETED, flag, clock.instant()));
    signal.release();
  }

  private synchronized void add(FlagRecord flag, long d) {
    pending.merge(STATUS + flag.status().keyName(), d, Long::sum);
    if (flag.status() == FlagStatus.OPEN) {
      pending.merge(CAMERA + flag.cameraId(), d, Long::sum);
      pending.merge(LABEL + flag.label(), d, Long::sum);
    }
  }

  private synchronized void changed(FlagChange change) {
    if (changes.size() < FlagCounts.MAX_CHANGES) {
      changes.add(change);
    } else {
      dropped++;
    }
  }

  /** What one write folds in: the counter delta and the changes it counts. */
  private record Delta(Map<String, Long> counts, List<FlagChange> changes, long dropped) {
    boolean isEmpty() {
      return counts.isEmpty() && changes.isEmpty() && dropped == 0;
    }
  }

  private synchronized Delta takePending() {
    Map<String, Long> out = pending;
    pending = new HashMap<>();
    out.values().removeIf(v -> v == 0);
    Delta d = new Delta(out, changes, dropped);
    changes = new ArrayList<>();
    dropped = 0;
    return d;
  }

  private synchronized void putBack(Delta delta) {
    delta.counts().forEach((k, v) -> pending.merge(k, v, Long::sum));
    List<FlagChange> all = new ArrayList<>(delta.changes());
    all.addAll(changes);
    changes = new ArrayList<>(all.subList(0, Math.min(all.size(), FlagCounts.MAX_CHANGES)));
    dropped += delta.dropped() + all.size() - changes.size();
  }

  private synchronized boolean hasPending() {
    return !changes.isEmpty() || dropped > 0 || pending.values().stream().anyMatch(v -> v != 0);
  }

  /** This node's changes written, then the newest counts in the store. */
  FlagCounts counts() throws StorageException {
    flush();
    return head();
  }

  /** Writes this node's delta as the next revision (nothing when there is none). */
  void flush() throws StorageException {
    writing.lock();
    try {
      Delta delta = takePending();
      if (delta.isEmpty()) {
        return;
      }
      try {
        write(delta, false);
      } catch (StorageException | RuntimeException e) {
        putBack(delta);
        throw e;
      }
    } finally {
      writing.unlock();
    }
  }

  /** Applies {@code delta} (or, with {@code replace}, the counts it holds) as the next revision. */
  private FlagCounts write(Delta delta, boolean replace) throws StorageException {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      FlagCounts head = head();
      Map<String, Long> merged = replace ? new HashMap<>() : flatten(head);
      delta.counts().forEach((k, v) -> merged.merge(k, v, Long::sum));
      FlagCounts next = unflatten(head.revision() + 1, merged, delta);
      try {
        bucket.put(DurableBucket.json(StorageKeys.flagCounts(next.revision()), next, true));
      } catch (ConflictException e) {
        continue; // Another node wrote this revision first: read its counts and apply ours again.
      }
      if (next.revision() % KEEP == 0) {
        prune();
      }
      return next;
    }
    throw new ConflictException(
        "flag counters: " + MAX_ATTEMPTS + " writes in a row lost to other nodes");
  }

  /** The newest readable revision, or the empty counts of a store that has none. */
  FlagCounts head() throws StorageException {
    return bucket.newest(StorageKeys.FLAG_COUNTS, FlagCounts.class).orElseGet(FlagCounts::empty);
  }

  /**
   * The revisions after {@code revision}, oldest first, as far back as they are kept (the newest
   * {@value #KEEP}); a revision listed but not readable yet (a write in flight) ends the list.
   */
  List<FlagCounts> since(long revision) throws StorageException {
    List<String> keys = bucket.listRevisions(StorageKeys.FLAG_COUNTS, KEEP);
    List<FlagCounts> out = new ArrayList<>();
    for (int i = keys.size() - 1; i >= 0; i--) {
      if (StorageKeys.revisionOf(keys.get(i)) <= revision) {
        continue;
      }
      Optional<FlagCounts> counts = bucket.readJson(keys.get(i), FlagCounts.class);
      if (counts.isEmpty()) {
        break;
      }
      out.add(counts.get());
    }
    return out;
  }

  private void prune() {
    try {
      List<String> keys = bucket.listKeys(StorageKeys.FLAG_COUNTS, 4 * KEEP);
      if (keys.size() > KEEP) {
        bucket.removeAll(keys.subList(KEEP, keys.size()));
      }
    } catch (StorageException e) {
      LOG.log(Level.FINE, "flag counters: old revisions stay until the next prune", e);
    }
  }

  /**
   * Counts the queue by listing its markers and writes the result as the next revision when no
   * counter change landed meanwhile (tries a few times); also writes missing per-camera and
   * per-label markers. Skipped while this node's spool holds writes not yet in the store.
   */
  FlagRecount recount() throws StorageException {
    if (bucket.spool().items() > 0) {
      FlagCounts now = counts();
      return new FlagRecount(
          now, now, Map.of(), false, 0, "this node's spool holds writes not yet in the store");
    }
    // Markers a node written before the bucketed index spooled and delivered late.
    queue.migrateQueueIndex();
    FlagCounts before = null;
    long indexed = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
      before = counts();
      Listed listed = list();
      indexed += listed.indexed();
      writing.lock();
      try {
        if (hasPending() || head().revision() != before.revision()) {
          continue; // Counts changed while listing: the listing may have missed the change.
        }
        FlagCounts after;
        try {
          after = write(new Delta(listed.counts(), List.of(), 0), true);
        } catch (ConflictException e) {
          continue;
        }
        if (after.revision() != before.revision() + 1) {
          continue; // Unreachable in practice; a later revision means someone changed them.
        }
        Map<String, Long> drift = drift(before, after);
        if (!drift.isEmpty()) {
          LOG.warning("flag counters drifted and were repaired: " + drift);
        }
        return new FlagRecount(before, after, drift, true, indexed, null);
      } finally {
        writing.unlock();
      }
    }
    return new FlagRecount(
        before,
        before,
        Map.of(),
        false,
        indexed,
        "the counts changed during each of 3 recounts; the next pass tries again");
  }

  private record Listed(Map<String, Long> counts, long indexed) {}

  private Listed list() throws StorageException {
    Map<String, Long> counts = new HashMap<>();
    long indexed = 0;
    for (FlagStatus status : FlagStatus.values()) {
      String prefix = StorageKeys.queueIndex(status, FlagOrder.NEWEST_FIRST).root();
      Set<String> byCamera = keys(StorageKeys.cameraQueuesPrefix(status));
      Set<String> byLabel = keys(StorageKeys.labelQueuesPrefix(status));
      long[] n = {0};
      long[] added = {0};
      Set<String> frames = new HashSet<>();
      bucket.walk(
          prefix,
          null,
          item -> {
            String name = StorageKeys.nameOf(item.key());
            QueueKey entry = StorageKeys.queueKey(name, FlagOrder.NEWEST_FIRST);
            if (entry == null || !frames.add(entry.frameId())) {
              // A second marker of one flag (a crash between writing a revision's markers and
              // removing the previous revision's) counts once.
              return true;
            }
            n[0]++;
            if (status == FlagStatus.OPEN) {
              counts.merge(CAMERA + entry.cameraId(), 1L, Long::sum);
              counts.merge(LABEL + entry.label(), 1L, Long::sum);
            }
            String cameraKey = StorageKeys.cameraQueue(status, entry.cameraId()).key(name);
            if (!byCamera.contains(cameraKey)) {
              bucket.put(DurableBucket.marker(cameraKey));
              added[0]++;
            }
            String labelKey = StorageKeys.labelQueue(status, entry.label()).key(name);
            if (!byLabel.contains(labelKey)) {
              bucket.put(DurableBucket.marker(labelKey));
              added[0]++;
            }
            return true;
          });
      indexed += added[0];
      counts.put(STATUS + status.keyName(), n[0]);
    }
    return new Listed(counts, indexed);
  }

  private Set<String> keys(String prefix) throws StorageException {
    Set<String> out = new HashSet<>();
    bucket.walk(
        prefix,
        null,
        item -> {
          out.add(item.key());
          return true;
        });
    return out;
  }

  private static Map<String, Long> drift(FlagCounts before, FlagCounts after) {
    Map<String, Long> d = new HashMap<>(flatten(after));
    flatten(before).forEach((k, v) -> d.merge(k, -v, Long::sum));
    d.values().removeIf(v -> v == 0);
    Map<String, Long> named = new TreeMap<>();
    d.forEach(
        (k, v) ->
            named.put(
                (k.startsWith(STATUS) ? "status " : k.startsWith(CAMERA) ? "camera " : "label ")
                    + k.substring(2),
                v));
    return named;
  }

  private static Map<String, Long> flatten(FlagCounts c) {
    Map<String, Long> m = new HashMap<>();
    c.statuses().forEach((k, v) -> m.put(STATUS + k, v));
    c.openByCamera().forEach((k, v) -> m.put(CAMERA + k, v));
    c.openByLabel().forEach((k, v) -> m.put(LABEL + k, v));
    return m;
  }

  private FlagCounts unflatten(long revision, Map<String, Long> m, Delta delta) {
    Map<String, Long> statuses = new HashMap<>();
    Map<String, Long> cameras = new HashMap<>();
    Map<String, Long> labels = new HashMap<>();
    m.forEach(
        (k, v) -> {
          String name = k.substring(2);
          if (k.startsWith(STATUS)) {
            statuses.put(name, v);
          } else if (k.startsWith(CAMERA)) {
            cameras.put(name, v);
          } else {
            labels.put(name, v);
          }
        });
    return new FlagCounts(
        revision, clock.instant(), statuses, cameras, labels, delta.changes(), delta.dropped());
  }

  private void run() {
    Duration backoff = Duration.ofMillis(100);
    while (!closed) {
      try {
        if (!signal.tryAcquire(1, TimeUnit.SECONDS) && !hasPending()) {
          continue;
        }
        signal.drainPermits();
        flush();
        backoff = Duration.ofMillis(100);
      } catch (InterruptedException e) {
        return;
      } catch (StorageException | RuntimeException e) {
        LOG.log(Level.FINE, "flag counters: delta kept, retrying in " + backoff, e);
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException ie) {
          return;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
                ? Duration.ofSeconds(5)
                : backoff.multipliedBy(2);
      }
    }
  }

  /** Stops the thread after one last attempt to write this node's delta. */
  @Override
  public void close() {
    closed = true;
    flusher.interrupt();
    try {
      flusher.join(2000);
      flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (StorageException | RuntimeException e) {
      LOG.log(
          Level.WARNING,
          "flag counters: this node's last changes were not written; the next recount repairs them",
          e);
    }
  }
}
