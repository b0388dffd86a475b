package org.cityvision.core.quality;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.cityvision.core.storage.CameraHealthRecord;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cameras' health records in the store, changed by read, apply, conditional write: each change is a
 * pure function of the newest state ({@link CameraHealth}), written as the next revision; when
 * another node wrote that revision first, the change is applied again to what it wrote. So two
 * nodes receiving one camera's frames at once keep one consistent record, and the record survives
 * restarts.
 *
 * <p><b>Deferred writes</b> ({@link #applyDeferred}): a record change costs a listing, a read and a
 * conditional write, which on the embedded store is more CPU than the quality check and a good part
 * of a camera frame's whole cost. Most frames change only counters, times, cadence and the static
 * reference; such a change is applied to the node's copy of the record and queued, and the queue is
 * written with the next change that matters (a fault, a condition or an alert changing), once the
 * node's last write is {@code writeEvery} old ({@link #flushDue}, which the node also calls on a
 * timer), or before any other change of that camera. A queued write lists the record first: when
 * the newest revision is still the one the copy holds, it writes the next one; otherwise (another
 * node wrote meanwhile) it reads the newest and applies every queued change to it again, in order,
 * so the record ends as if each frame had been written on its own. Every deferred change first
 * reads the revision after the copy's (one small read instead of a listing, a read and a write):
 * when it exists, the camera's frames come through other nodes too, and its changes are written at
 * once for a while, so that every node judges its frames from all of them. Deferral pays where a
 * camera's frames reach one node (one node, or a balancer with camera affinity). The node's own
 * reads ({@link #read}, {@link #list}) show its copy when it extends the newest record. What a
 * crash loses is the queue: at most {@code writeEvery} of counters and times, never a fault or a
 * condition change.
 *
 * <p>Thread-safe (the store is; one camera's changes on one node are serialised); the store stays
 * its owner's to close.
 */
public final class CameraHealthRecords {
  /**
   * Attempts before a change gives up under contention (each loses only to a newer write). A node
   * that lost pauses before it reads again while the winner goes straight on, so against another
   * node writing one camera in a tight loop it may lose until that node stops: 16 attempts with
   * pauses of up to 64 ms outlast a busy two-core machine's bursts.
   */
  static final int ATTEMPTS = 16;

  private static final Logger LOG = LoggerFactory.getLogger(CameraHealthRecords.class);

  /** Changes queued per camera before its copy is written whatever their age. */
  static final int MAX_QUEUED = 32;

  /**
   * How long a camera whose record another node wrote since this node's copy has every change
   * written at once.
   */
  static final Duration SHARED_FOR = Duration.ofMinutes(10);

  /** Cameras whose copy a node keeps; past this the copies are written and dropped. */
  static final int MAX_COPIES = 50_000;

  private final FrameStore store;
  private final Duration writeEvery;
  private final Map<String, Copy> copies = new ConcurrentHashMap<>();

  /**
   * This node's copy of one camera's record: {@code stored} as the store holds it at {@code
   * revision}, {@code current} with the {@code queued} changes applied.
   */
  private static final class Copy {
    long revision;
    CameraState stored;
    CameraState current;
    Instant writtenAt;
    Instant sharedUntil = Instant.MIN;
    final List<Function<CameraState, Optional<HealthUpdate>>> queued = new ArrayList<>();
    boolean dropped;
  }

  /** Records written on every change ({@link #applyDeferred} writes at once). */
  public CameraHealthRecords(FrameStore store) {
    this(store, Duration.ZERO);
  }

  /**
   * @param writeEvery how long changes that matter to nobody but counters may wait in this node's
   *     copy ({@link #applyDeferred}); zero writes every change at once
   */
  public CameraHealthRecords(FrameStore store, Duration writeEvery) {
    if (store == null) {
      throw new IllegalArgumentException("store is required");
    }
    if (writeEvery == null || writeEvery.isNegative()) {
      throw new IllegalArgumentException("writeEvery must be >= 0, got " + writeEvery);
    }
    this.store = store;
    this.writeEvery = writeEvery;
  }

  /**
   * The camera's newest state, if it ever sent a frame: this node's copy when it extends the newest
   * stored revision, else the stored record.
   */
  public Optional<CameraState> read(String cameraId) throws StorageException {
    Optional<CameraHealthRecord> record = store.cameraHealth(cameraId);
    if (record.isEmpty()) {
      return Optional.empty();
    }
    Copy copy = copies.get(cameraId);
    if (copy != null) {
      synchronized (copy) {
        if (!copy.dropped && copy.revision == record.get().revision()) {
          return Optional.of(copy.current);
        }
      }
    }
    return Optional.of(CameraStateJson.read(record.get().json()));
  }

  /** A page of cameras' states, in camera id order. */
  public Page<CameraState> list(String cursor, int limit) throws StorageException {
    Page<String> ids = store.listCameraHealth(cursor, limit);
    List<CameraState> out = new ArrayList<>(ids.items().size());
    for (String id : ids.items()) {
      read(id).ifPresent(out::add);
    }
    return new Page<>(out, ids.nextCursor());
  }

  /** Cameras with changes queued in this node's copy, not yet in the store. */
  public int queuedCameras() {
    int n = 0;
    for (Copy c : copies.values()) {
      synchronized (c) {
        if (!c.queued.isEmpty()) {
          n++;
        }
      }
    }
    return n;
  }

  /**
   * Writes every camera's queued changes whose last write is at least {@code writeEvery} old by
   * {@code now} (all of them when {@code now} is null); returns how many cameras were written. A
   * camera whose write fails keeps its queue for the next call.
   */
  public int flushDue(Instant now) {
    return flushDue(now, update -> {});
  }

  /**
   * {@link #flushDue(Instant)}, handing each write's update to {@code written}: frames applied
   * again to a record another node changed meanwhile can change the camera's state (a silent
   * camera's queued frames make it recover), and those state changes go out like any other.
   */
  public int flushDue(Instant now, Consumer<HealthUpdate> written) {
    int flushed = 0;
    for (Map.Entry<String, Copy> e : copies.entrySet()) {
      Copy copy = e.getValue();
      synchronized (copy) {
        if (copy.dropped || copy.queued.isEmpty()) {
          continue;
        }
        if (now != null && Duration.between(copy.writtenAt, now).compareTo(writeEvery) < 0) {
          continue;
        }
        try {
          writeQueued(e.getKey(), copy, now == null ? copy.writtenAt : now)
              .filter(u -> !u.transitions().isEmpty())
              .ifPresent(written);
          flushed++;
        } catch (StorageException ex) {
          LOG.warn(
              "camera {}: queued health changes not written yet: {}", e.getKey(), ex.getMessage());
        }
      }
    }
    return flushed;
  }

  /**
   * A page of the cameras with an open alert (from the alert index; a camera whose alerts were
   * judged since the index was read is left out), in camera id order. A page may hold fewer cameras
   * than {@code limit}, even none, with a cursor.
   */
  public Page<CameraState> listWithOpenAlerts(String cursor, int limit) throws StorageException {
    Page<String> ids = store.listCameraAlerts(cursor, limit);
    List<CameraState> out = new ArrayList<>(ids.items().size());
    for (String id : ids.items()) {
      read(id).filter(CameraState::hasOpenAlert).ifPresent(out::add);
    }
    return new Page<>(out, ids.nextCursor());
  }

  /** Every camera id in the alert index (the silence sweep compares it with the records). */
  public Set<String> alertIndex() throws StorageException {
    Set<String> out = new HashSet<>();
    String cursor = null;
    do {
      Page<String> page = store.listCameraAlerts(cursor, 1000);
      out.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return out;
  }

  /**
   * Puts the camera in the alert index or takes it out. The record is the truth and was written
   * first; a failed index write is logged and left to the sweep, which compares the two.
   */
  public void index(String cameraId, boolean openAlert) {
    try {
      store.markCameraAlert(cameraId, openAlert);
    } catch (StorageException e) {
      LOG.warn(
          "camera {}: alert index not updated ({}): the next sweep repairs it",
          cameraId,
          e.getMessage());
    }
  }

  /**
   * Applies {@code change} to the camera's newest state ({@link CameraState#initial} before its
   * first record) and stores the result; returns the update that was stored, or empty when the
   * change returned empty (nothing to write).
   *
   * @throws ConflictException other nodes kept winning for {@value #ATTEMPTS} attempts
   */
  public Optional<HealthUpdate> apply(
      String cameraId, Instant now, Function<CameraState, Optional<HealthUpdate>> change)
      throws StorageException {
    Copy copy = copies.get(cameraId);
    if (copy == null) {
      return applyStored(cameraId, now, List.of(change)).flatMap(Applied::ofLast);
    }
    synchronized (copy) {
      if (copy.dropped) {
        return apply(cameraId, now, change);
      }
      return writeWith(cameraId, copy, change, now);
    }
  }

  /**
   * Applies {@code change} to this node's copy of the camera's record and writes it at once only
   * when it matters beyond this node: it changes the camera's condition, faults, alerts or history,
   * or the copy's last write is {@code writeEvery} old, or too many changes wait; otherwise the
   * change waits in the copy for {@link #flushDue} or the next change that is written. Each time,
   * one read checks that no other node wrote the record since the copy; if one did, the camera's
   * frames come through several nodes, and for {@link #SHARED_FOR} every change of it is written at
   * once, on the newest record, as {@link #apply} does. Without a copy (the camera's first change
   * on this node) it is read, applied and written like {@link #apply}, and the copy starts from
   * what was written.
   *
   * @throws ConflictException other nodes kept winning for {@value #ATTEMPTS} attempts
   */
  public Optional<HealthUpdate> applyDeferred(
      String cameraId, Instant now, Function<CameraState, Optional<HealthUpdate>> change)
      throws StorageException {
    if (writeEvery.isZero()) {
      return apply(cameraId, now, change);
    }
    Copy copy = copies.get(cameraId);
    if (copy == null) {
      Optional<Applied> applied = applyStored(cameraId, now, List.of(change));
      applied.ifPresent(a -> remember(cameraId, a, now));
      return applied.flatMap(Applied::ofLast);
    }
    synchronized (copy) {
      if (copy.dropped) {
        return applyDeferred(cameraId, now, change);
      }
      if (now.isBefore(copy.sharedUntil)) {
        return writeWith(cameraId, copy, change, now);
      }
      if (store.cameraHealth(cameraId, copy.revision + 1).isPresent()) {
        // Another node wrote this camera since the copy: its frames come through several nodes
        // (a balancer without camera affinity), where only a record written at every frame lets
        // each node judge from all of them.
        copy.sharedUntil = now.plus(SHARED_FOR);
        return writeWith(cameraId, copy, change, now);
      }
      Optional<HealthUpdate> update = change.apply(copy.current);
      if (update.isEmpty()) {
        return update;
      }
      if (!matters(copy.current, update.get())
          && Duration.between(copy.writtenAt, now).compareTo(writeEvery) < 0
          && copy.queued.size() + 1 < MAX_QUEUED) {
        copy.queued.add(change);
        copy.current = update.get().state();
        return update;
      }
      return writeWith(cameraId, copy, change, now);
    }
  }

  /**
   * Whether a change must reach the store at once: other nodes, the listeners and the review page
   * act on conditions, faults, alerts and state changes; counters, times, cadence, baselines and
   * the static reference can wait.
   */
  static boolean matters(CameraState before, HealthUpdate update) {
    CameraState after = update.state();
    return !update.transitions().isEmpty()
        || before.condition() != after.condition()
        || !before.faults().equals(after.faults())
        || !before.runs().equals(after.runs())
        || !before.clearing().equals(after.clearing())
        || !before.lastFaults().equals(after.lastFaults())
        || !before.alerts().equals(after.alerts())
        || !before.history().equals(after.history())
        || !before.accepted().equals(after.accepted());
  }

  /**
   * Writes the copy's queue with {@code change} last. When the write fails the change is taken out
   * again (the caller learns that it was not recorded); what was queued before stays queued.
   */
  private Optional<HealthUpdate> writeWith(
      String cameraId, Copy copy, Function<CameraState, Optional<HealthUpdate>> change, Instant now)
      throws StorageException {
    copy.queued.add(change);
    try {
      return writeQueued(cameraId, copy, now);
    } catch (StorageException | RuntimeException e) {
      copy.queued.remove(copy.queued.size() - 1);
      throw e;
    }
  }

  /**
   * Writes the copy's queue: the next revision of the copy when the store's newest is still the
   * copy's, else every queued change again on the newest record. Returns the last queued change's
   * update, with every state change the queue made (so a caller announces each once). On failure
   * the queue stays for the next try.
   */
  private Optional<HealthUpdate> writeQueued(String cameraId, Copy copy, Instant now)
      throws StorageException {
    List<Function<CameraState, Optional<HealthUpdate>>> queued = List.copyOf(copy.queued);
    if (store.newestCameraHealthRevision(cameraId) == copy.revision) {
      Optional<Applied> applied = replay(copy.stored, queued);
      if (applied.isEmpty()) {
        copy.queued.clear();
        return Optional.empty();
      }
      try {
        store.putCameraHealth(
            new CameraHealthRecord(
                cameraId, copy.revision + 1, CameraStateJson.write(applied.get().state())));
        if (copy.stored.hasOpenAlert() != applied.get().state().hasOpenAlert()) {
          index(cameraId, applied.get().state().hasOpenAlert());
        }
        settle(copy, copy.revision + 1, applied.get().state(), now);
        return applied.get().ofLast();
      } catch (ConflictException e) {
        // Another node wrote that revision meanwhile: start from the newest below.
      }
    }
    Optional<Applied> applied = applyStored(cameraId, now, queued);
    if (applied.isEmpty()) {
      copy.queued.clear();
      return Optional.empty();
    }
    settle(copy, applied.get().revision(), applied.get().state(), now);
    return applied.get().ofLast();
  }

  private static void settle(Copy copy, long revision, CameraState state, Instant now) {
    copy.revision = revision;
    copy.stored = state;
    copy.current = state;
    copy.queued.clear();
    copy.writtenAt = now;
  }

  private void remember(String cameraId, Applied applied, Instant now) {
    if (copies.size() >= MAX_COPIES) {
      flushDue(null);
      for (Copy c : copies.values()) {
        synchronized (c) {
          if (c.queued.isEmpty()) {
            c.dropped = true;
          }
        }
      }
      copies.values().removeIf(c -> c.dropped);
    }
    Copy copy = new Copy();
    settle(copy, applied.revision(), applied.state(), now);
    copies.putIfAbsent(cameraId, copy);
  }

  /**
   * Changes applied in order: the final state, the last change's update with every state change of
   * the sequence, and (once written) the revision it went to.
   */
  private record Applied(CameraState state, HealthUpdate last, long revision, boolean lastChanged) {
    Applied at(long written) {
      return new Applied(state, last, written, lastChanged);
    }

    /** The last change's update, empty when that change left the state as it was. */
    Optional<HealthUpdate> ofLast() {
      return lastChanged ? Optional.of(last) : Optional.empty();
    }
  }

  /** {@code changes} applied to {@code state} in order; empty when none of them changed it. */
  private static Optional<Applied> replay(
      CameraState state, List<Function<CameraState, Optional<HealthUpdate>>> changes) {
    CameraState s = state;
    HealthUpdate last = null;
    boolean lastChanged = false;
    List<HealthTransition> transitions = new ArrayList<>();
    for (Function<CameraState, Optional<HealthUpdate>> change : changes) {
      Optional<HealthUpdate> update = change.apply(s);
      lastChanged = update.isPresent();
      if (lastChanged) {
        last = update.get();
        s = last.state();
        transitions.addAll(last.transitions());
      }
    }
    if (last == null) {
      return Optional.empty();
    }
    HealthUpdate combined =
        transitions.size() == last.transitions().size()
            ? last
            : new HealthUpdate(last.state(), last.faults(), last.reuse(), transitions);
    return Optional.of(new Applied(s, combined, 0, lastChanged));
  }

  /**
   * Reads the newest record, applies {@code changes} in order and writes the result as the next
   * revision, again on the newest when another node wins; empty when nothing changed.
   */
  private Optional<Applied> applyStored(
      String cameraId, Instant now, List<Function<CameraState, Optional<HealthUpdate>>> changes)
      throws StorageException {
    ConflictException last = null;
    long lost = 0;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<CameraHealthRecord> current = store.cameraHealth(cameraId);
      if (lost > current.map(CameraHealthRecord::revision).orElse(0L)) {
        // The revision this node just lost exists; start from it even if the listing does not
        // show it yet, or this node computes the same revision again and loses again.
        Optional<CameraHealthRecord> winner = store.cameraHealth(cameraId, lost);
        if (winner.isPresent()) {
          current = winner;
        }
      }
      CameraState state =
          current
              .map(r -> CameraStateJson.read(r.json()))
              .orElseGet(() -> CameraState.initial(cameraId, now));
      Optional<Applied> applied = replay(state, changes);
      if (applied.isEmpty()) {
        return applied;
      }
      HealthUpdate update = applied.get().last();
      long revision = current.map(CameraHealthRecord::revision).orElse(0L) + 1;
      try {
        store.putCameraHealth(
            new CameraHealthRecord(cameraId, revision, CameraStateJson.write(update.state())));
      } catch (ConflictException e) {
        last = e;
        lost = revision;
        // A random pause that grows with each loss, so that two nodes updating one camera in a
        // tight loop do not keep meeting at the same revision (the faster reader winning every
        // time).
        LockSupport.parkNanos(
            ThreadLocalRandom.current().nextLong(1, 1 + Math.min(64, 1L << attempt)) * 1_000_000L);
        continue;
      }
      if (state.hasOpenAlert() != update.state().hasOpenAlert()) {
        index(cameraId, update.state().hasOpenAlert());
      }
      return Optional.of(applied.get().at(revision));
    }
    throw new ConflictException(
        "camera " + cameraId + " health: another node won " + ATTEMPTS + " writes in a row", last);
  }
}
