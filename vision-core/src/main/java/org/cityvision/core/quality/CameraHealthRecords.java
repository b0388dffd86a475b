package org.cityvision.core.quality;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
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
 * <p>Thread-safe (the store is); the store stays its owner's to close.
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

  private final FrameStore store;

  public CameraHealthRecords(FrameStore store) {
    if (store == null) {
      throw new IllegalArgumentException("store is required");
    }
    this.store = store;
  }

  /** The camera's newest state, if it ever sent a frame. */
  public Optional<CameraState> read(String cameraId) throws StorageException {
    Optional<CameraHealthRecord> record = store.cameraHealth(cameraId);
    return record.map(r -> CameraStateJson.read(r.json()));
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
      Optional<HealthUpdate> update = change.apply(state);
      if (update.isEmpty()) {
        return update;
      }
      long revision = current.map(CameraHealthRecord::revision).orElse(0L) + 1;
      try {
        store.putCameraHealth(
            new CameraHealthRecord(
                cameraId, revision, CameraStateJson.write(update.get().state())));
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
      if (state.hasOpenAlert() != update.get().state().hasOpenAlert()) {
        index(cameraId, update.get().state().hasOpenAlert());
      }
      return update;
    }
    throw new ConflictException(
        "camera " + cameraId + " health: another node won " + ATTEMPTS + " writes in a row", last);
  }
}
