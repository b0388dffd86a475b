package org.cityvision.core.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.quality.FaultCorpus.Variant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.imgproc.Imgproc;

/**
 * Each fault kind, recovery, silence, cadence and static frames on generated camera frames (no
 * dataset).
 */
class CameraHealthTest {
  private static final CameraHealthConfig CONFIG = CameraHealthConfig.DEFAULTS;
  private static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");
  private static Mat base;
  private static Mat other;
  private static FrameQuality quality;

  @BeforeAll
  static void scenes() {
    quality = new FrameQuality(ImageLimits.DEFAULT);
    base = FaultCorpus.syntheticBase(1280, 720, 7);
    other = FaultCorpus.syntheticBase(1280, 720, 8);
  }

  @AfterAll
  static void release() {
    base.release();
    other.release();
  }

  private final Random random = new Random(42);
  private CameraState state = CameraState.initial("cam-1", T0);
  private Instant now = T0;
  private byte[] lastBytes;

  private byte[] bytes(Variant v) {
    Mat frame = FaultCorpus.frame(base, v, random, other);
    try {
      return FaultCorpus.encode(frame, v, random);
    } finally {
      frame.release();
    }
  }

  private HealthUpdate post(byte[] frame, Duration after) throws ImageException {
    now = now.plus(after);
    lastBytes = frame;
    HealthUpdate u =
        CameraHealth.update(state, quality.analyze(frame), "f" + state.frames(), now, now, CONFIG);
    state = u.state();
    return u;
  }

  private HealthUpdate post(Variant v) throws ImageException {
    return post(bytes(v), Duration.ofSeconds(10));
  }

  private void learnBaseline() throws ImageException {
    for (int i = 0; i < CONFIG.baselineFrames() + 1; i++) {
      assertEquals(List.of(), post(i % 2 == 0 ? Variant.NOISE_ONLY : Variant.LIGHT_DRIFT).faults());
    }
  }

  @Test
  void blackFrameIsAFaultEvenWithoutBaselineAndConfirmsWithinThreeFrames() throws ImageException {
    assertEquals(List.of(QualityFault.BLACK), post(Variant.DARKENING).faults());
    assertEquals(CameraCondition.OK, state.condition());
    HealthUpdate second = post(Variant.DARKENING);
    assertEquals(CameraCondition.FAULT, state.condition());
    assertEquals(1, second.transitions().size());
    assertEquals(CameraCondition.FAULT, second.transitions().get(0).to());
    assertEquals(T0.plusSeconds(10), state.faults().get(QualityFault.BLACK));
  }

  @Test
  void firstFramesThatAreDarkFoggyOrPlainAreNotFaulty() throws ImageException {
    for (Variant v : List.of(Variant.DUSK, Variant.FOG, Variant.BLUR, Variant.DUSK, Variant.FOG)) {
      assertEquals(List.of(), post(v).faults(), v.name());
    }
    assertEquals(CameraCondition.OK, state.condition());
  }

  @Test
  void overexposedFrameIsAFault() throws ImageException {
    learnBaseline();
    assertTrue(post(Variant.OVEREXPOSURE).faults().contains(QualityFault.OVEREXPOSED));
  }

  @Test
  void blurIsJudgedAgainstTheCamerasOwnSharpnessAndFogIsNot() throws ImageException {
    learnBaseline();
    assertEquals(List.of(), post(Variant.FOG).faults());
    assertTrue(post(Variant.BLUR).faults().contains(QualityFault.BLURRED));
    post(Variant.BLUR);
    assertEquals(CameraCondition.DEGRADED, state.condition());
  }

  @Test
  void coverIsDetectedAndConfirmedWithinThreeFramesThenRecovers() throws ImageException {
    learnBaseline();
    byte[] covered = bytes(Variant.UNIFORM_COVER);
    assertTrue(post(covered, Duration.ofSeconds(10)).faults().contains(QualityFault.COVERED));
    post(bytes(Variant.UNIFORM_COVER), Duration.ofSeconds(10));
    assertEquals(CameraCondition.FAULT, state.condition());
    post(Variant.NOISE_ONLY);
    assertEquals(CameraCondition.FAULT, state.condition(), "one clean frame does not yet recover");
    HealthUpdate recovered = post(Variant.NOISE_ONLY);
    assertEquals(CameraCondition.OK, state.condition());
    assertTrue(recovered.transitions().get(0).recovered());
    assertEquals(
        List.of(CameraCondition.FAULT, CameraCondition.OK),
        state.history().stream().map(HealthTransition::to).toList());
  }

  @Test
  void movedViewIsReportedAfterMoveFramesInARow() throws ImageException {
    learnBaseline();
    // Knocked 8% of the view to the side and turned by 3 degrees.
    Mat shifted = new Mat();
    Mat turn = Imgproc.getRotationMatrix2D(new Point(640, 360), 3, 1.0);
    turn.put(0, 2, turn.get(0, 2)[0] + 0.08 * 1280);
    Imgproc.warpAffine(base, shifted, turn, base.size(), Imgproc.INTER_LINEAR, Core.BORDER_REFLECT);
    turn.release();
    try {
      for (int i = 1; i <= CONFIG.moveFrames(); i++) {
        Mat noisy = shifted.clone();
        FaultCorpus.addNoise(noisy, 2, random);
        HealthUpdate u =
            post(FaultCorpus.encode(noisy, Variant.NOISE_ONLY, random), Duration.ofSeconds(10));
        noisy.release();
        assertEquals(
            i == CONFIG.moveFrames(), u.faults().contains(QualityFault.MOVED), "frame " + i);
      }
    } finally {
      shifted.release();
    }
    assertEquals(CameraCondition.FAULT, state.condition());
  }

  @Test
  void newObjectInTheViewIsNeitherAFaultNorStatic() throws ImageException {
    learnBaseline();
    state = CameraHealth.classified(state, quality.analyze(lastBytes), "f-ref", now);
    HealthUpdate u = post(Variant.NEW_OBJECT);
    assertEquals(List.of(), u.faults());
    assertFalse(u.isStatic());
  }

  @Test
  void identicalFramesAreFrozenOnlyAfterFrozenAfter() throws ImageException {
    learnBaseline();
    byte[] same = lastBytes;
    assertFalse(
        post(same, CONFIG.frozenAfter().dividedBy(2)).faults().contains(QualityFault.FROZEN));
    assertTrue(
        post(same, CONFIG.frozenAfter().dividedBy(2)).faults().contains(QualityFault.FROZEN));
    assertEquals(CameraCondition.FAULT, state.condition());
  }

  @Test
  void staticFrameReusesTheLastClassifiedResultWhileItIsYoungerThanReuseFor()
      throws ImageException {
    learnBaseline();
    state = CameraHealth.classified(state, quality.analyze(lastBytes), "f-ref", now);
    HealthUpdate same = post(Variant.NOISE_ONLY);
    assertTrue(same.isStatic());
    assertEquals("f-ref", same.reuse().get().frameId());
    assertTrue(post(Variant.LIGHT_DRIFT).isStatic(), "a light change is not new content");
    assertFalse(
        post(bytes(Variant.NOISE_ONLY), CONFIG.reuseFor()).isStatic(), "the result is too old");
  }

  @Test
  void noResultIsReusedAcrossAFault() throws ImageException {
    learnBaseline();
    state = CameraHealth.classified(state, quality.analyze(lastBytes), "f-ref", now);
    assertFalse(post(Variant.DARKENING).isStatic());
    assertFalse(post(Variant.NOISE_ONLY).isStatic(), "the reference was dropped at the fault");
    assertEquals(null, state.lastClassified());
  }

  @Test
  void aFaultyFrameIsNeverRecordedAsTheStaticReference() throws ImageException {
    learnBaseline();
    post(Variant.DARKENING);
    assertEquals(
        null,
        CameraHealth.classified(state, quality.analyze(lastBytes), "f-black", now)
            .lastClassified());
  }

  @Test
  void silentAfterFiveMedianIntervalsButAtLeastSixtySeconds() throws ImageException {
    for (int i = 0; i < 5; i++) {
      post(bytes(Variant.NOISE_ONLY), Duration.ofSeconds(30));
    }
    assertEquals(Duration.ofSeconds(150), state.silentAfter(CONFIG));
    Instant last = now;
    assertTrue(CameraHealth.sweep(state, last.plusSeconds(150), CONFIG).isEmpty());
    HealthUpdate silent = CameraHealth.sweep(state, last.plusSeconds(151), CONFIG).orElseThrow();
    assertEquals(CameraCondition.SILENT, silent.state().condition());
    state = silent.state();
    assertTrue(CameraHealth.sweep(state, last.plusSeconds(300), CONFIG).isEmpty(), "silent once");
    HealthUpdate back = post(bytes(Variant.NOISE_ONLY), Duration.ofSeconds(400));
    assertEquals(CameraCondition.OK, state.condition());
    assertTrue(back.transitions().get(0).recovered());

    CameraState fast = CameraState.initial("cam-2", T0);
    for (int i = 0; i < 4; i++) {
      fast =
          CameraHealth.update(
                  fast, quality.analyze(lastBytes), null, null, T0.plusSeconds(2L * i), CONFIG)
              .state();
    }
    assertEquals(CONFIG.silentMin(), fast.silentAfter(CONFIG));
  }

  @Test
  void cameraClockSkewDoesNotChangeCadenceOrSilence() throws ImageException {
    byte[] frame = bytes(Variant.NOISE_ONLY);
    CameraState skewed = CameraState.initial("cam-3", T0);
    for (int i = 0; i < 6; i++) {
      Instant captured =
          T0.minus(Duration.ofDays(400)).plusSeconds(3600L * i * (i % 2 == 0 ? 1 : -1));
      skewed =
          CameraHealth.update(
                  skewed, quality.analyze(frame), null, captured, T0.plusSeconds(20L * i), CONFIG)
              .state();
    }
    assertEquals(Duration.ofSeconds(20), skewed.medianInterval());
    assertEquals(Duration.ofSeconds(100), skewed.silentAfter(CONFIG));
  }

  @Test
  void anArrivalOlderThanTheNewestAddsNoIntervalAndKeepsTheNewestFrame() throws ImageException {
    post(Variant.NOISE_ONLY);
    post(Variant.NOISE_ONLY);
    Instant newest = state.lastReceivedAt();
    HealthUpdate late =
        CameraHealth.update(
            state,
            quality.analyze(bytes(Variant.NOISE_ONLY)),
            "late",
            null,
            newest.minusSeconds(3),
            CONFIG);
    assertEquals(newest, late.state().lastReceivedAt());
    assertEquals(state.intervalsMillis(), late.state().intervalsMillis());
    assertEquals(state.lastFrameId(), late.state().lastFrameId());
  }

  @Test
  void acceptingTheViewClearsFaultsAndRelearnsTheBaseline() throws ImageException {
    learnBaseline();
    post(Variant.BLUR);
    post(Variant.BLUR);
    assertEquals(CameraCondition.DEGRADED, state.condition());
    HealthUpdate accepted = CameraHealth.acceptView(state, now, CONFIG);
    state = accepted.state();
    assertEquals(CameraCondition.OK, state.condition());
    assertEquals(0, state.baseline().frames());
    for (int i = 0; i < CONFIG.baselineFrames() + 2; i++) {
      assertEquals(
          List.of(), post(Variant.BLUR).faults(), "the soft view is now this camera's normal");
    }
  }

  @Test
  void aChangeIntoFaultOpensOneAlertPointingToTheFrameThatConfirmedIt() throws ImageException {
    learnBaseline();
    post(Variant.UNIFORM_COVER);
    assertEquals(List.of(), state.alerts(), "an unconfirmed fault raises no alert");
    post(Variant.UNIFORM_COVER);
    assertEquals(1, state.alerts().size());
    CameraAlert alert = state.alerts().get(0);
    assertTrue(alert.isOpen());
    assertEquals(CameraCondition.FAULT, alert.to());
    assertEquals(List.of(QualityFault.COVERED), alert.faults());
    assertEquals(state.lastFrameId(), alert.frameId());
    post(Variant.UNIFORM_COVER);
    assertEquals(1, state.alerts().size(), "a fault that lasts is one alert");
    CameraState read = CameraStateJson.read(CameraStateJson.write(state));
    assertEquals(state.alerts(), read.alerts());
  }

  @Test
  void dismissingABlurAlertMakesTheSoftViewThisCamerasNormal() throws ImageException {
    learnBaseline();
    post(Variant.BLUR);
    post(Variant.BLUR);
    assertEquals(CameraCondition.DEGRADED, state.condition());
    String alertId = state.alerts().get(0).alertId();
    HealthUpdate dismissed =
        CameraHealth.judge(
                state, alertId, CameraAlert.Status.DISMISSED, "rev", "new lens", now, CONFIG)
            .orElseThrow();
    state = dismissed.state();
    assertEquals(CameraCondition.OK, state.condition());
    assertEquals(CameraCondition.OK, dismissed.transitions().get(0).to());
    CameraAlert judged = state.alert(alertId).orElseThrow();
    assertEquals(CameraAlert.Status.DISMISSED, judged.status());
    assertEquals("rev", judged.reviewer());
    assertEquals("new lens", judged.note());
    for (int i = 0; i < 3 * CONFIG.baselineFrames(); i++) {
      assertEquals(List.of(), post(Variant.BLUR).faults(), "frame " + i + " of the soft view");
    }
    assertEquals(CameraCondition.OK, state.condition());
    assertTrue(
        CameraHealth.judge(state, alertId, CameraAlert.Status.CONFIRMED, "rev2", null, now, CONFIG)
            .isEmpty(),
        "a judged alert cannot be judged again");
  }

  @Test
  void aDismissedBlackStaysAcceptedWhileItLastsAndAlertsAgainAfterItStopped()
      throws ImageException {
    learnBaseline();
    post(Variant.DARKENING);
    post(Variant.DARKENING);
    assertEquals(CameraCondition.FAULT, state.condition());
    state =
        CameraHealth.judge(
                state,
                state.alerts().get(0).alertId(),
                CameraAlert.Status.DISMISSED,
                "rev",
                null,
                now,
                CONFIG)
            .orElseThrow()
            .state();
    assertEquals(CameraCondition.OK, state.condition());
    for (int i = 0; i < 5; i++) {
      assertEquals(
          List.of(QualityFault.BLACK),
          post(Variant.DARKENING).faults(),
          "still reported per frame");
    }
    assertEquals(
        CameraCondition.OK, state.condition(), "but not confirmed: the reviewer called it normal");
    for (int i = 0; i < CONFIG.recoverFrames(); i++) {
      post(Variant.NOISE_ONLY);
    }
    assertEquals(List.of(), List.copyOf(state.accepted()));
    post(Variant.DARKENING);
    post(Variant.DARKENING);
    assertEquals(CameraCondition.FAULT, state.condition());
    assertEquals(2, state.alerts().size());
  }

  @Test
  void confirmingAnAlertKeepsTheFault() throws ImageException {
    learnBaseline();
    post(Variant.UNIFORM_COVER);
    post(Variant.UNIFORM_COVER);
    HealthUpdate confirmed =
        CameraHealth.judge(
                state,
                state.alerts().get(0).alertId(),
                CameraAlert.Status.CONFIRMED,
                "rev",
                null,
                now,
                CONFIG)
            .orElseThrow();
    assertEquals(CameraCondition.FAULT, confirmed.state().condition());
    assertEquals(List.of(), confirmed.transitions());
    assertEquals(state.baseline().frames(), confirmed.state().baseline().frames());
    assertEquals(CameraAlert.Status.CONFIRMED, confirmed.state().alerts().get(0).status());
  }

  @Test
  void silenceOpensAnAlertWithoutAFrame() {
    state =
        CameraHealth.update(state, analysisOf(Variant.NOISE_ONLY), "f0", now, now, CONFIG).state();
    HealthUpdate silent =
        CameraHealth.sweep(state, now.plus(Duration.ofHours(1)), CONFIG).orElseThrow();
    CameraAlert alert = silent.state().alerts().get(0);
    assertEquals(CameraCondition.SILENT, alert.to());
    assertEquals(null, alert.frameId());
  }

  private FrameAnalysis analysisOf(Variant v) {
    try {
      return quality.analyze(bytes(v));
    } catch (ImageException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void stateSurvivesItsJsonForm() throws ImageException {
    learnBaseline();
    state = CameraHealth.classified(state, quality.analyze(lastBytes), "f-ref", now);
    post(Variant.DARKENING);
    post(Variant.DARKENING);
    CameraState read = CameraStateJson.read(CameraStateJson.write(state));
    assertEquals(state.condition(), read.condition());
    assertEquals(state.faults(), read.faults());
    assertEquals(state.runs(), read.runs());
    assertEquals(state.history(), read.history());
    assertEquals(state.intervalsMillis(), read.intervalsMillis());
    assertEquals(state.lastPixelHash(), read.lastPixelHash());
    assertEquals(state.baseline().reference(), read.baseline().reference());
    assertEquals(state.baseline().frames(), read.baseline().frames());
    // Judged the same after the round trip.
    byte[] next = bytes(Variant.NOISE_ONLY);
    assertEquals(
        CameraHealth.update(state, quality.analyze(next), null, null, now.plusSeconds(10), CONFIG)
            .faults(),
        CameraHealth.update(read, quality.analyze(next), null, null, now.plusSeconds(10), CONFIG)
            .faults());
  }

  @Test
  void malformedStateJsonIsRefusedWithTheReason() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CameraStateJson.read(
                    "{\"cameraId\":\"c\",\"state\":\"sleepy\",\"stateSince\":\"2026-01-01T00:00:00Z\"}"
                        .getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("sleepy"), e.getMessage());
  }

  @Test
  void configOutsideItsRangeNamesTheKeyAndTheRange() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CameraHealthConfig.DEFAULTS.withTimes(Duration.ofSeconds(1), null));
    assertTrue(
        e.getMessage().contains("cameras.frozenAfter must be between PT10S and PT168H"),
        e.getMessage());
  }
}
