package org.cityvision.core.quality;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything CityVision keeps about one camera's health: one value, changed only by {@link
 * CameraHealth}'s pure functions and stored per camera (as {@link CameraStateJson}) with
 * conditional writes, so every node that receives the camera's frames works on the same record.
 *
 * <p>Immutable and thread-safe; maps and lists are copied.
 *
 * @param cameraId the camera
 * @param condition its health as a whole
 * @param conditionSince when the condition began
 * @param baseline what its healthy frames look like
 * @param faults confirmed faults, each with the arrival of the first frame that showed it
 * @param runs faults seen on the latest frames in a row (confirmed or not yet)
 * @param clearing for confirmed faults, frames in a row that did not show them
 * @param frames frames seen in all
 * @param lastReceivedAt arrival of the newest frame (the node's clock); {@code null} before the
 *     first
 * @param lastCapturedAt the newest frame's {@code X-Captured-At}, for display only (camera clocks
 *     drift)
 * @param lastFrameId the newest frame's id, when stored
 * @param lastFaults the faults reported for the newest frame
 * @param lastPixelHash the newest frame's {@link FrameAnalysis#pixelHash()}
 * @param identicalSince arrival of the first of a run of pixel-identical frames; {@code null} when
 *     the newest frame differs from the one before
 * @param intervalsMillis the latest intervals between arrivals, oldest first
 * @param lastClassified the last fault-free classified frame, whose result static frames may reuse
 * @param history the latest condition changes, oldest first
 * @param accepted faults a reviewer dismissed as this camera's normal ({@code black}, {@code
 *     overexposed}, {@code frozen}): still reported per frame but not confirmed, until they stop
 *     for {@code recoverFrames}
 * @param alerts the latest changes into {@code degraded}, {@code fault} or {@code silent} as review
 *     items, oldest first (at most {@value #ALERTS})
 */
public record CameraState(
    String cameraId,
    CameraCondition condition,
    Instant conditionSince,
    CameraBaseline baseline,
    Map<QualityFault, Instant> faults,
    Map<QualityFault, FaultRun> runs,
    Map<QualityFault, Integer> clearing,
    long frames,
    Instant lastReceivedAt,
    Instant lastCapturedAt,
    String lastFrameId,
    List<QualityFault> lastFaults,
    long lastPixelHash,
    Instant identicalSince,
    List<Long> intervalsMillis,
    StaticReference lastClassified,
    List<HealthTransition> history,
    Set<QualityFault> accepted,
    List<CameraAlert> alerts) {
  /** Intervals kept for the median cadence. */
  public static final int INTERVALS = 15;

  /** Alerts kept per camera; judged ones go first when there are more. */
  public static final int ALERTS = 10;

  public CameraState {
    if (cameraId == null || cameraId.isBlank()) {
      throw new IllegalArgumentException("cameraId is required");
    }
    if (condition == null || conditionSince == null || baseline == null) {
      throw new IllegalArgumentException("condition, conditionSince and baseline are required");
    }
    if (frames < 0) {
      throw new IllegalArgumentException("frames must be >= 0, got " + frames);
    }
    faults = Collections.unmodifiableMap(copy(faults));
    runs = Collections.unmodifiableMap(copy(runs));
    clearing = Collections.unmodifiableMap(copy(clearing));
    lastFaults = List.copyOf(lastFaults);
    intervalsMillis = List.copyOf(intervalsMillis);
    if (intervalsMillis.size() > INTERVALS || intervalsMillis.stream().anyMatch(i -> i < 0)) {
      throw new IllegalArgumentException(
          "at most " + INTERVALS + " intervals, none negative, got " + intervalsMillis);
    }
    history = List.copyOf(history);
    accepted =
        accepted == null || accepted.isEmpty()
            ? Set.of()
            : Collections.unmodifiableSet(EnumSet.copyOf(accepted));
    alerts = alerts == null ? List.of() : List.copyOf(alerts);
    if (alerts.size() > ALERTS) {
      throw new IllegalArgumentException(
          "at most " + ALERTS + " alerts per camera, got " + alerts.size());
    }
  }

  /** A state without accepted faults or alerts. */
  public CameraState(
      String cameraId,
      CameraCondition condition,
      Instant conditionSince,
      CameraBaseline baseline,
      Map<QualityFault, Instant> faults,
      Map<QualityFault, FaultRun> runs,
      Map<QualityFault, Integer> clearing,
      long frames,
      Instant lastReceivedAt,
      Instant lastCapturedAt,
      String lastFrameId,
      List<QualityFault> lastFaults,
      long lastPixelHash,
      Instant identicalSince,
      List<Long> intervalsMillis,
      StaticReference lastClassified,
      List<HealthTransition> history) {
    this(
        cameraId,
        condition,
        conditionSince,
        baseline,
        faults,
        runs,
        clearing,
        frames,
        lastReceivedAt,
        lastCapturedAt,
        lastFrameId,
        lastFaults,
        lastPixelHash,
        identicalSince,
        intervalsMillis,
        lastClassified,
        history,
        Set.of(),
        List.of());
  }

  /** The alert {@code alertId}, if the camera still keeps it. */
  public Optional<CameraAlert> alert(String alertId) {
    return alerts.stream().filter(a -> a.alertId().equals(alertId)).findFirst();
  }

  /** Whether a reviewer has an alert of this camera to judge. */
  public boolean hasOpenAlert() {
    return alerts.stream().anyMatch(CameraAlert::isOpen);
  }

  /** A camera that has sent nothing yet. */
  public static CameraState initial(String cameraId, Instant at) {
    return new CameraState(
        cameraId,
        CameraCondition.OK,
        at,
        CameraBaseline.EMPTY,
        Map.of(),
        Map.of(),
        Map.of(),
        0,
        null,
        null,
        null,
        List.of(),
        0,
        null,
        List.of(),
        null,
        List.of());
  }

  private static <V> EnumMap<QualityFault, V> copy(Map<QualityFault, V> map) {
    EnumMap<QualityFault, V> out = new EnumMap<>(QualityFault.class);
    if (map != null) {
      map.forEach(
          (k, v) -> {
            if (k == null || v == null) {
              throw new IllegalArgumentException("fault maps hold no nulls");
            }
            out.put(k, v);
          });
    }
    return out;
  }

  /** The median interval between arrivals, when at least two are known. */
  public Duration medianInterval() {
    if (intervalsMillis.size() < 2) {
      return null;
    }
    List<Long> sorted = new ArrayList<>(intervalsMillis);
    Collections.sort(sorted);
    int n = sorted.size();
    long median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    return Duration.ofMillis(median);
  }

  /** How long this camera may send nothing before it is silent. */
  public Duration silentAfter(CameraHealthConfig config) {
    if (config.silentAfter() != null) {
      return config.silentAfter();
    }
    Duration median = medianInterval();
    if (median == null) {
      return config.silentUnknownCadence();
    }
    Duration derived =
        Duration.ofMillis((long) Math.ceil(median.toMillis() * config.silentFactor()));
    return derived.compareTo(config.silentMin()) < 0 ? config.silentMin() : derived;
  }
}
