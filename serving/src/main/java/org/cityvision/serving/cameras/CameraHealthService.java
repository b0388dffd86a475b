package org.cityvision.serving.cameras;

import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.quality.CameraAlert;
import org.cityvision.core.quality.CameraCondition;
import org.cityvision.core.quality.CameraHealth;
import org.cityvision.core.quality.CameraHealthConfig;
import org.cityvision.core.quality.CameraHealthRecords;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.FrameAnalysis;
import org.cityvision.core.quality.FrameQuality;
import org.cityvision.core.quality.HealthTransition;
import org.cityvision.core.quality.HealthUpdate;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quality check of every camera frame and the camera health records behind it: each frame is
 * measured ({@link FrameQuality}, a 1/8-scale decode), applied to its camera's stored state with a
 * conditional write ({@link CameraHealthRecords}), and each condition change goes to the listeners
 * once, from the node whose write won. The silence sweep does the same for cameras that went quiet.
 *
 * <p>Thread-safe. Every method but {@link #counts()} blocks on the store: call it off the event
 * loop.
 */
public final class CameraHealthService {
  private static final Logger LOG = LoggerFactory.getLogger(CameraHealthService.class);
  private static final int SWEEP_PAGE = 500;

  private final FrameQuality quality;
  private final CameraHealthRecords records;
  private final CameraHealthConfig config;
  private final CameraEvents events;
  private final Clock clock;
  private final LongAdder reused = new LongAdder();
  private volatile Map<CameraCondition, Integer> counts = Map.of();

  public CameraHealthService(
      ImageLimits limits,
      CameraHealthRecords records,
      CameraHealthConfig config,
      CameraEvents events,
      Clock clock) {
    this.quality = new FrameQuality(limits);
    this.records = records;
    this.config = config;
    this.events = events;
    this.clock = clock;
  }

  /**
   * What the quality check made of one frame.
   *
   * @param recorded the camera's record took the frame
   * @param reference the record names the frame as its camera's classified frame already, so a
   *     later static frame may reuse its result once stored: true for a fault-free frame that is
   *     not static (it goes to the model); a static frame whose earlier result cannot be read is
   *     classified too, and recorded as the reference with {@link #classified} afterwards
   */
  public record Observation(
      FrameAnalysis analysis, HealthUpdate update, boolean recorded, boolean reference) {}

  public CameraHealthConfig config() {
    return config;
  }

  /**
   * Measures a frame and applies it to its camera's health. When the store cannot take the health
   * record the frame is still judged, against a camera with no history (black and overexposed are
   * still found), and {@code recorded} is false: a health record is never a reason to refuse a
   * frame.
   *
   * @param accepted the image formats the caller takes; others are refused before anything is
   *     recorded
   * @param frameId the id the frame will be stored under (an alert the frame raises points to it)
   * @throws ImageException the bytes are not an image of an accepted format within the limits
   */
  public Observation observe(
      String cameraId,
      byte[] frame,
      Set<ImageFormat> accepted,
      String frameId,
      Instant capturedAt,
      Instant receivedAt)
      throws ImageException {
    FrameAnalysis analysis = quality.analyze(frame, accepted);
    try {
      HealthUpdate update =
          records
              .applyDeferred(
                  cameraId,
                  receivedAt,
                  s -> Optional.of(observed(s, analysis, frameId, capturedAt, receivedAt)))
              .orElseThrow();
      announce(update);
      return new Observation(analysis, update, true, goesToModel(update));
    } catch (StorageException e) {
      LOG.warn("camera {} health not recorded: {}", cameraId, e.getMessage());
      HealthUpdate update =
          CameraHealth.update(
              CameraState.initial(cameraId, receivedAt),
              analysis,
              null,
              capturedAt,
              receivedAt,
              config);
      return new Observation(analysis, update, false, false);
    }
  }

  /**
   * The frame applied to the camera's state; a frame that goes to the model is named the camera's
   * classified frame in the same write (one record write per frame instead of two: a later static
   * frame that finds no stored result for it is classified itself).
   */
  private HealthUpdate observed(
      CameraState s,
      FrameAnalysis analysis,
      String frameId,
      Instant capturedAt,
      Instant receivedAt) {
    HealthUpdate update = CameraHealth.update(s, analysis, frameId, capturedAt, receivedAt, config);
    if (!goesToModel(update)) {
      return update;
    }
    return new HealthUpdate(
        CameraHealth.classified(update.state(), analysis, frameId, receivedAt),
        update.faults(),
        update.reuse(),
        update.transitions());
  }

  private static boolean goesToModel(HealthUpdate update) {
    return update.faults().isEmpty() && !update.isStatic();
  }

  /**
   * Records that a frame without faults was classified and stored, so later static frames may reuse
   * it.
   */
  public void classified(String cameraId, FrameAnalysis analysis, String frameId) {
    Instant now = clock.instant();
    try {
      records.apply(
          cameraId,
          now,
          s -> {
            CameraState next = CameraHealth.classified(s, analysis, frameId, now);
            return next == s
                ? Optional.empty()
                : Optional.of(
                    new HealthUpdate(next, next.lastFaults(), Optional.empty(), List.of()));
          });
    } catch (StorageException e) {
      LOG.warn(
          "camera {}: classified frame {} not recorded for reuse: {}",
          cameraId,
          frameId,
          e.getMessage());
    }
  }

  /** The camera's health, if it ever sent a frame. */
  public Optional<CameraState> camera(String cameraId) throws StorageException {
    return records.read(cameraId);
  }

  public Page<CameraState> cameras(String cursor, int limit) throws StorageException {
    return records.list(cursor, limit);
  }

  /**
   * A reviewer's verdict on a camera alert ({@link CameraHealth#judge}): stored with the camera's
   * record in one conditional write, so of two reviewers exactly one wins; a dismissal's condition
   * change goes to the listeners like any other.
   *
   * @return the judged alert
   * @throws ObjectNotFoundException the camera or the alert is unknown
   * @throws ConflictException the alert was already judged
   */
  public CameraAlert judge(
      String cameraId, String alertId, CameraAlert.Status verdict, String reviewer, String note)
      throws StorageException {
    CameraState before =
        records
            .read(cameraId)
            .orElseThrow(
                () -> new ObjectNotFoundException("camera " + cameraId + " has sent no frame"));
    CameraAlert alert =
        before
            .alert(alertId)
            .orElseThrow(
                () ->
                    new ObjectNotFoundException("camera " + cameraId + " has no alert " + alertId));
    Instant now = clock.instant();
    Optional<HealthUpdate> update =
        records.apply(
            cameraId,
            now,
            s -> CameraHealth.judge(s, alertId, verdict, reviewer, note, now, config));
    if (update.isEmpty()) {
      CameraAlert judged = records.read(cameraId).flatMap(s -> s.alert(alertId)).orElse(alert);
      throw new ConflictException(
          "alert "
              + alertId
              + " of camera "
              + cameraId
              + " was already "
              + judged.status().wireName()
              + (judged.reviewer() == null
                  ? ""
                  : " by " + judged.reviewer() + " at " + judged.reviewedAt()));
    }
    announce(update.get());
    return update.get().state().alert(alertId).orElseThrow();
  }

  /**
   * A page of the cameras that have an open alert; a page may hold fewer (even none) with a cursor.
   */
  public Page<CameraState> withOpenAlerts(String cursor, int limit) throws StorageException {
    return records.listWithOpenAlerts(cursor, limit);
  }

  /**
   * Marks every camera silent that sent nothing for its silence limit, and counts cameras per
   * condition for {@code /metrics}. Returns how many turned silent on this sweep.
   */
  public int sweep() throws StorageException {
    Instant now = clock.instant();
    // Health changes waiting in this node go out first (CameraHealthRecords.applyDeferred), so
    // that every node's sweep sees the cameras' newest frames.
    records.flushDue(now, this::announce);
    Map<CameraCondition, Integer> seen = new EnumMap<>(CameraCondition.class);
    int silenced = 0;
    Set<String> indexed = records.alertIndex();
    String cursor = null;
    do {
      Page<CameraState> page = records.list(cursor, SWEEP_PAGE);
      for (CameraState camera : page.items()) {
        CameraState current = camera;
        if (CameraHealth.sweep(camera, now, config).isPresent()) {
          Optional<HealthUpdate> update =
              records.apply(camera.cameraId(), now, s -> CameraHealth.sweep(s, now, config));
          if (update.isPresent()) {
            announce(update.get());
            current = update.get().state();
            silenced++;
          }
        }
        seen.merge(current.condition(), 1, Integer::sum);
        if (current.hasOpenAlert() != indexed.remove(current.cameraId())) {
          records.index(current.cameraId(), current.hasOpenAlert());
        }
      }
      cursor = page.nextCursor();
    } while (cursor != null);
    // Markers of cameras without a record (a record write that failed after its marker).
    indexed.forEach(id -> records.index(id, false));
    counts = Map.copyOf(seen);
    return silenced;
  }

  /** Writes every camera's health changes still waiting in this node (on shutdown). */
  public int flush() {
    return records.flushDue(null, this::announce);
  }

  /** Cameras whose health changes wait in this node, not yet in the store. */
  public int queuedCameras() {
    return records.queuedCameras();
  }

  /** Counts a static frame stored with its camera's last result instead of a forward pass. */
  public void reusedStored() {
    reused.increment();
  }

  /** Static frames that were stored with their camera's last result instead of a forward pass. */
  public long reusedFrames() {
    return reused.sum();
  }

  /** Cameras per condition as of the last sweep. */
  public Map<CameraCondition, Integer> counts() {
    return counts;
  }

  private void announce(HealthUpdate update) {
    for (HealthTransition t : update.transitions()) {
      events.cameraChanged(update.state(), t);
    }
  }
}
