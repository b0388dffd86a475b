package org.cityvision.core.quality;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The camera health rules as pure functions of a {@link CameraState}: a frame's {@link
 * FrameAnalysis} becomes its faults, its static-frame decision and the camera's next state; the
 * clock alone can make a camera silent. Nothing here reads a clock, a store or a thread: callers
 * pass the node's receive time (cadence and silence use only that, so a camera's wrong clock in
 * {@code X-Captured-At} changes nothing but what is displayed) and store the result with a
 * conditional write.
 *
 * <p>Rules, in order: a frame is {@code black} or {@code overexposed} from its own histogram alone;
 * {@code covered}, {@code blurred} and {@code moved} are judged only against a baseline of at least
 * {@code baselineFrames} healthy frames (so a camera's first frames are never faulty for being
 * plain, dark or soft, only for being black or saturated); {@code moved} is reported after {@code
 * moveFrames} frames in a row, {@code frozen} once pixel-identical frames have lasted {@code
 * frozenAfter}. A fault is confirmed, and changes the camera's condition, after {@code
 * confirmFrames} frames in a row, and clears after {@code recoverFrames} frames without it. Only
 * fault-free frames teach the baseline. Stateless and thread-safe.
 */
public final class CameraHealth {
  /** How fast the reference scene follows a healthy view (light through the day, seasons). */
  private static final double REFERENCE_WEIGHT = 0.05;

  /** Below this share of textured reference blocks a view is too plain to judge covers on. */
  private static final double MIN_TEXTURED_SHARE = 0.1;

  /**
   * View agreement above which no displacement is searched for (noise, light and weather stay above
   * it).
   */
  private static final double NEAR_PERFECT = 0.92;

  private CameraHealth() {}

  /**
   * Applies one frame.
   *
   * @param state the camera's current state ({@link CameraState#initial} before its first frame)
   * @param frame the frame's analysis
   * @param frameId the frame's id when it is stored, else {@code null}
   * @param capturedAt the camera's {@code X-Captured-At}, or {@code null}; display only
   * @param receivedAt when this node received the frame
   */
  public static HealthUpdate update(
      CameraState state,
      FrameAnalysis frame,
      String frameId,
      Instant capturedAt,
      Instant receivedAt,
      CameraHealthConfig config) {
    if (state == null || frame == null || receivedAt == null || config == null) {
      throw new IllegalArgumentException("state, frame, receivedAt and config are required");
    }
    // Cadence from arrivals only; an arrival older than the newest (another node's clock) adds
    // none.
    List<Long> intervals = new ArrayList<>(state.intervalsMillis());
    Instant lastReceived = state.lastReceivedAt();
    if (lastReceived != null && receivedAt.isAfter(lastReceived)) {
      intervals.add(Duration.between(lastReceived, receivedAt).toMillis());
      while (intervals.size() > CameraState.INTERVALS) {
        intervals.remove(0);
      }
    }
    Instant newestArrival =
        lastReceived == null || receivedAt.isAfter(lastReceived) ? receivedAt : lastReceived;

    CameraBaseline baseline =
        state.baseline().fits(frame) ? state.baseline() : CameraBaseline.EMPTY;
    StaticReference classified = state.baseline().fits(frame) ? state.lastClassified() : null;
    boolean ready = baseline.frames() >= config.baselineFrames();

    EnumSet<QualityFault> seen = EnumSet.noneOf(QualityFault.class);
    boolean black = frame.fractionAtOrBelow(config.blackLevel()) >= config.blackShare();
    boolean overexposed =
        !black && frame.fractionAtOrAbove(config.overexposedLevel()) >= config.overexposedShare();
    if (black) {
      seen.add(QualityFault.BLACK);
    }
    if (overexposed) {
      seen.add(QualityFault.OVEREXPOSED);
    }
    if (ready && !black && !overexposed) {
      if (coveredShare(frame, baseline, config) >= config.coverShare()) {
        seen.add(QualityFault.COVERED);
      } else {
        if (frame.sharpness() < config.blurRatio() * baseline.sharpness()) {
          seen.add(QualityFault.BLURRED);
        }
        if (moved(frame.signature(), baseline.reference(), config)) {
          seen.add(QualityFault.MOVED);
        }
      }
    }
    boolean identical = state.frames() > 0 && frame.pixelHash() == state.lastPixelHash();
    Instant identicalSince =
        identical ? (state.identicalSince() != null ? state.identicalSince() : lastReceived) : null;
    if (identicalSince != null
        && Duration.between(identicalSince, receivedAt).compareTo(config.frozenAfter()) >= 0) {
      seen.add(QualityFault.FROZEN);
    }

    Map<QualityFault, FaultRun> runs = new EnumMap<>(QualityFault.class);
    for (QualityFault f : seen) {
      FaultRun run = state.runs().get(f);
      runs.put(f, run == null ? new FaultRun(1, receivedAt) : run.next());
    }
    List<QualityFault> reported = new ArrayList<>();
    for (QualityFault f : seen) {
      if (f != QualityFault.MOVED || runs.get(f).frames() >= config.moveFrames()) {
        reported.add(f);
      }
    }

    Map<QualityFault, Instant> faults = new EnumMap<>(QualityFault.class);
    faults.putAll(state.faults());
    Map<QualityFault, Integer> clearing = new EnumMap<>(QualityFault.class);
    // A fault a reviewer dismissed is reported but not confirmed until it stops as long as a fault
    // clears.
    EnumSet<QualityFault> accepted = EnumSet.noneOf(QualityFault.class);
    accepted.addAll(state.accepted());
    for (QualityFault f : QualityFault.values()) {
      FaultRun run = runs.get(f);
      int needed =
          f == QualityFault.MOVED
              ? config.moveFrames()
              : f == QualityFault.FROZEN ? 1 : config.confirmFrames();
      if (run != null && run.frames() >= needed) {
        if (!accepted.contains(f)) {
          faults.putIfAbsent(f, run.since());
        }
      } else if (run == null && (faults.containsKey(f) || accepted.contains(f))) {
        int clear = state.clearing().getOrDefault(f, 0) + 1;
        if (clear >= config.recoverFrames()) {
          faults.remove(f);
          accepted.remove(f);
        } else {
          clearing.put(f, clear);
        }
      }
    }

    boolean healthy = seen.isEmpty() && !identical;
    if (healthy) {
      baseline = baseline.learn(frame, REFERENCE_WEIGHT);
    }
    Optional<StaticReference> reuse = Optional.empty();
    if (!seen.isEmpty()) {
      classified = null; // never reuse a result across a fault
    } else if (classified != null && !config.reuseFor().isZero()) {
      Duration age = Duration.between(classified.classifiedAt(), receivedAt);
      if (age.compareTo(config.reuseFor()) < 0
          && frame.signature().staticDifference(classified.signature())
              < config.staticThreshold()) {
        reuse = Optional.of(classified);
      }
    }

    CameraCondition condition = conditionOf(faults.keySet());
    List<HealthTransition> transitions = new ArrayList<>();
    List<HealthTransition> history = new ArrayList<>(state.history());
    Instant since = state.conditionSince();
    if (condition != state.condition()) {
      HealthTransition t =
          new HealthTransition(
              receivedAt, state.condition(), condition, List.copyOf(faults.keySet()));
      transitions.add(t);
      append(history, t, config.historySize());
      since = receivedAt;
    }
    boolean newest = newestArrival == receivedAt;
    CameraState next =
        new CameraState(
            state.cameraId(),
            condition,
            since,
            baseline,
            faults,
            runs,
            clearing,
            state.frames() + 1,
            newestArrival,
            newest ? capturedAt : state.lastCapturedAt(),
            newest ? frameId : state.lastFrameId(),
            reported,
            frame.pixelHash(),
            identicalSince,
            intervals,
            classified,
            history,
            accepted,
            withAlerts(state.alerts(), transitions, frameId, state.frames() + 1));
    return new HealthUpdate(next, reported, reuse, transitions);
  }

  /**
   * Records that the newest frame was classified (and stored as {@code frameId}), so later static
   * frames may reuse its result; a frame that showed any fault is never recorded.
   */
  public static CameraState classified(
      CameraState state, FrameAnalysis frame, String frameId, Instant classifiedAt) {
    if (!state.lastFaults().isEmpty()
        || !state.runs().isEmpty()
        || frame.pixelHash() != state.lastPixelHash()) {
      return state;
    }
    return withLastClassified(state, new StaticReference(frameId, classifiedAt, frame.signature()));
  }

  /**
   * Marks the camera silent when nothing arrived for its silence limit by {@code now}; empty when
   * nothing changes (it is already silent, has never sent a frame, or is within the limit).
   */
  public static Optional<HealthUpdate> sweep(
      CameraState state, Instant now, CameraHealthConfig config) {
    if (state.condition() == CameraCondition.SILENT || state.lastReceivedAt() == null) {
      return Optional.empty();
    }
    Duration quiet = Duration.between(state.lastReceivedAt(), now);
    if (quiet.compareTo(state.silentAfter(config)) <= 0) {
      return Optional.empty();
    }
    HealthTransition t =
        new HealthTransition(
            now, state.condition(), CameraCondition.SILENT, List.copyOf(state.faults().keySet()));
    List<HealthTransition> history = new ArrayList<>(state.history());
    append(history, t, config.historySize());
    CameraState next =
        new CameraState(
            state.cameraId(),
            CameraCondition.SILENT,
            now,
            state.baseline(),
            state.faults(),
            state.runs(),
            state.clearing(),
            state.frames(),
            state.lastReceivedAt(),
            state.lastCapturedAt(),
            state.lastFrameId(),
            state.lastFaults(),
            state.lastPixelHash(),
            state.identicalSince(),
            state.intervalsMillis(),
            state.lastClassified(),
            history,
            state.accepted(),
            withAlerts(state.alerts(), List.of(t), null, state.frames()));
    return Optional.of(new HealthUpdate(next, List.of(), Optional.empty(), List.of(t)));
  }

  /**
   * A reviewer's dismissal: the camera's current view is its normal. Confirmed faults clear, and
   * the baseline is learnt again from the next frames (a refocused, re-aimed or newly foggy
   * camera).
   */
  public static HealthUpdate acceptView(CameraState state, Instant at, CameraHealthConfig config) {
    CameraCondition condition =
        state.condition() == CameraCondition.SILENT ? CameraCondition.SILENT : CameraCondition.OK;
    List<HealthTransition> transitions = new ArrayList<>();
    List<HealthTransition> history = new ArrayList<>(state.history());
    if (condition != state.condition()) {
      HealthTransition t = new HealthTransition(at, state.condition(), condition, List.of());
      transitions.add(t);
      append(history, t, config.historySize());
    }
    CameraState next =
        new CameraState(
            state.cameraId(),
            condition,
            condition != state.condition() ? at : state.conditionSince(),
            CameraBaseline.EMPTY,
            Map.of(),
            Map.of(),
            Map.of(),
            state.frames(),
            state.lastReceivedAt(),
            state.lastCapturedAt(),
            state.lastFrameId(),
            List.of(),
            state.lastPixelHash(),
            null,
            state.intervalsMillis(),
            null,
            history,
            state.accepted(),
            state.alerts());
    return new HealthUpdate(next, List.of(), Optional.empty(), transitions);
  }

  /**
   * A reviewer's verdict on one of the camera's open alerts. {@code confirmed}: the fault is real,
   * nothing else changes. {@code dismissed}: what the alert reported is this camera's normal, for
   * those of its faults still confirmed now: a dismissed {@code blurred}, {@code covered} or {@code
   * moved} clears and the baseline (sharpness, texture, reference scene) is learnt again from the
   * next frames, so the current view becomes the reference; a dismissed {@code black}, {@code
   * overexposed} or {@code frozen} clears and stays accepted (reported per frame, never confirmed)
   * until it stops for {@code recoverFrames} frames. A dismissed silence just closes the alert.
   *
   * @return empty when the camera has no open alert {@code alertId}
   */
  public static Optional<HealthUpdate> judge(
      CameraState state,
      String alertId,
      CameraAlert.Status verdict,
      String reviewer,
      String note,
      Instant at,
      CameraHealthConfig config) {
    if (verdict == null || verdict == CameraAlert.Status.OPEN || reviewer == null || at == null) {
      throw new IllegalArgumentException(
          "a verdict is confirmed or dismissed, with a reviewer and a time");
    }
    Optional<CameraAlert> found = state.alert(alertId).filter(CameraAlert::isOpen);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    CameraAlert alert = found.get();
    List<CameraAlert> alerts = new ArrayList<>();
    for (CameraAlert a : state.alerts()) {
      alerts.add(a == alert ? a.judged(verdict, reviewer, at, note) : a);
    }
    if (verdict == CameraAlert.Status.CONFIRMED) {
      return Optional.of(
          new HealthUpdate(withAlerts(state, alerts), List.of(), Optional.empty(), List.of()));
    }
    EnumSet<QualityFault> dismissed = EnumSet.noneOf(QualityFault.class);
    alert.faults().stream().filter(state.faults()::containsKey).forEach(dismissed::add);
    boolean relearn = dismissed.stream().anyMatch(f -> !HISTOGRAM_FAULTS.contains(f));
    Map<QualityFault, Instant> faults = new EnumMap<>(QualityFault.class);
    faults.putAll(state.faults());
    Map<QualityFault, FaultRun> runs = new EnumMap<>(QualityFault.class);
    runs.putAll(state.runs());
    Map<QualityFault, Integer> clearing = new EnumMap<>(QualityFault.class);
    clearing.putAll(state.clearing());
    EnumSet<QualityFault> accepted = EnumSet.noneOf(QualityFault.class);
    accepted.addAll(state.accepted());
    for (QualityFault f : dismissed) {
      faults.remove(f);
      clearing.remove(f);
      if (HISTOGRAM_FAULTS.contains(f)) {
        accepted.add(f);
      } else {
        runs.remove(f);
      }
    }
    CameraCondition condition =
        state.condition() == CameraCondition.SILENT
            ? CameraCondition.SILENT
            : conditionOf(faults.keySet());
    List<HealthTransition> transitions = new ArrayList<>();
    List<HealthTransition> history = new ArrayList<>(state.history());
    if (condition != state.condition()) {
      HealthTransition t =
          new HealthTransition(at, state.condition(), condition, List.copyOf(faults.keySet()));
      transitions.add(t);
      append(history, t, config.historySize());
    }
    CameraState next =
        new CameraState(
            state.cameraId(),
            condition,
            condition != state.condition() ? at : state.conditionSince(),
            relearn ? CameraBaseline.EMPTY : state.baseline(),
            faults,
            runs,
            clearing,
            state.frames(),
            state.lastReceivedAt(),
            state.lastCapturedAt(),
            state.lastFrameId(),
            state.lastFaults(),
            state.lastPixelHash(),
            state.identicalSince(),
            state.intervalsMillis(),
            relearn ? null : state.lastClassified(),
            history,
            accepted,
            alerts);
    return Optional.of(new HealthUpdate(next, List.of(), Optional.empty(), transitions));
  }

  /** Faults judged from a frame's own histogram or pixels, which no baseline can teach away. */
  private static final Set<QualityFault> HISTOGRAM_FAULTS =
      EnumSet.of(QualityFault.BLACK, QualityFault.OVEREXPOSED, QualityFault.FROZEN);

  /**
   * {@code alerts} with one new open alert per change into {@code degraded}, {@code fault} or
   * {@code silent} that no open alert already reports (same or more faults; a silence by a
   * silence); at most {@link CameraState#ALERTS}, dropping judged alerts first, then the oldest.
   */
  static List<CameraAlert> withAlerts(
      List<CameraAlert> alerts, List<HealthTransition> transitions, String frameId, long frames) {
    List<CameraAlert> out = new ArrayList<>(alerts);
    for (HealthTransition t : transitions) {
      if (t.to() == CameraCondition.OK) {
        continue;
      }
      boolean reported =
          out.stream()
              .anyMatch(
                  a ->
                      a.isOpen()
                          && a.faults().containsAll(t.faults())
                          && (t.to() != CameraCondition.SILENT
                              || a.to() == CameraCondition.SILENT));
      if (!reported) {
        out.add(CameraAlert.open(t, t.to() == CameraCondition.SILENT ? null : frameId, frames));
      }
    }
    while (out.size() > CameraState.ALERTS) {
      int judged = -1;
      for (int i = 0; i < out.size() && judged < 0; i++) {
        if (!out.get(i).isOpen()) {
          judged = i;
        }
      }
      out.remove(judged >= 0 ? judged : 0);
    }
    return out;
  }

  private static CameraState withAlerts(CameraState s, List<CameraAlert> alerts) {
    return new CameraState(
        s.cameraId(),
        s.condition(),
        s.conditionSince(),
        s.baseline(),
        s.faults(),
        s.runs(),
        s.clearing(),
        s.frames(),
        s.lastReceivedAt(),
        s.lastCapturedAt(),
        s.lastFrameId(),
        s.lastFaults(),
        s.lastPixelHash(),
        s.identicalSince(),
        s.intervalsMillis(),
        s.lastClassified(),
        s.history(),
        s.accepted(),
        alerts);
  }

  /**
   * Whether a view no longer matches the reference: its structure agrees less than {@code
   * moveSimilarity}, or at least two quadrants are found displaced (searched only when agreement is
   * not already near perfect).
   */
  static boolean moved(SceneSignature view, SceneSignature reference, CameraHealthConfig config) {
    double similarity = view.similarity(reference);
    if (similarity < config.moveSimilarity()) {
      return true;
    }
    return similarity < NEAR_PERFECT && view.shiftedQuadrants(reference) >= 2;
  }

  /** The condition that confirmed faults make. */
  static CameraCondition conditionOf(Set<QualityFault> confirmed) {
    if (confirmed.stream().anyMatch(f -> !f.degradesOnly())) {
      return CameraCondition.FAULT;
    }
    return confirmed.isEmpty() ? CameraCondition.OK : CameraCondition.DEGRADED;
  }

  /**
   * Among the blocks that had texture in the baseline, the share that lost it; 0 when the baseline
   * view is too plain to tell a cover from the scene. A block has lost its texture when it fell
   * below {@code coverDrop} of its reference both in grey levels and relative to the frame's
   * brightness: fog keeps the first (a share of the edges survives), dusk keeps the second (edges
   * dim with the light), a cover keeps neither.
   */
  static double coveredShare(
      FrameAnalysis frame, CameraBaseline baseline, CameraHealthConfig config) {
    double light = Math.min(1.0, (frame.meanLuma() + 10) / (baseline.meanLuma() + 10));
    double drop = config.coverDrop() * light;
    int textured = 0;
    int lost = 0;
    int blocks = FrameAnalysis.BLOCKS_X * FrameAnalysis.BLOCKS_Y;
    for (int i = 0; i < blocks; i++) {
      float reference = baseline.textureAt(i);
      if (reference >= config.textureMin()) {
        textured++;
        if (frame.textureAt(i) < drop * reference) {
          lost++;
        }
      }
    }
    return textured < MIN_TEXTURED_SHARE * blocks ? 0 : (double) lost / textured;
  }

  private static CameraState withLastClassified(CameraState s, StaticReference reference) {
    return new CameraState(
        s.cameraId(),
        s.condition(),
        s.conditionSince(),
        s.baseline(),
        s.faults(),
        s.runs(),
        s.clearing(),
        s.frames(),
        s.lastReceivedAt(),
        s.lastCapturedAt(),
        s.lastFrameId(),
        s.lastFaults(),
        s.lastPixelHash(),
        s.identicalSince(),
        s.intervalsMillis(),
        reference,
        s.history(),
        s.accepted(),
        s.alerts());
  }

  private static void append(List<HealthTransition> history, HealthTransition t, int size) {
    history.add(t);
    while (history.size() > size) {
      history.remove(0);
    }
  }
}
