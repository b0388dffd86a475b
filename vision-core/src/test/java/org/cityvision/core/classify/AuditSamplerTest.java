package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.cityvision.core.frame.FrameId;
import org.junit.jupiter.api.Test;

/**
 * Which unflagged answers become audit items: by frame-id hash, more of the unsure normals, capped
 * per camera.
 */
class AuditSamplerTest {
  private static final List<String> LABELS = List.of("flood", "normal", "pothole_road_damage");
  private static final Instant NOW = Instant.parse("2026-12-06T10:15:00Z");

  private static Classification answer(String model, String label, double score) {
    double rest = (1 - score) / (LABELS.size() - 1);
    return new Classification(
        label,
        score,
        List.of(new LabelScore(label, score)),
        LABELS.stream().map(l -> l.equals(label) ? score : rest).toList(),
        LABELS,
        model,
        "1.0.0",
        1,
        Timings.NONE);
  }

  private static String frame(String camera, int i) {
    return FrameId.generate(camera, NOW.plusMillis(i)).value();
  }

  private static int sampled(AuditSampler sampler, int frames, String label, double score) {
    int n = 0;
    for (int i = 0; i < frames; i++) {
      n +=
          sampler
                  .decide(frame("cam-" + (i % 500), i), answer("urban", label, score), NOW)
                  .isPresent()
              ? 1
              : 0;
    }
    return n;
  }

  @Test
  void samplesAboutTheRateOfUnflaggedAnswersAndMoreOfTheUnsureNormals() {
    AuditSampler sampler = new AuditSampler(Map.of("urban", new AuditRule(0.02, 0.6, 0.25, 1000)));

    int confident = sampled(sampler, 20_000, "normal", 0.95);
    int unsure = sampled(sampler, 20_000, "normal", 0.45);
    int otherLabel = sampled(sampler, 20_000, "pothole_road_damage", 0.45);

    assertTrue(confident > 300 && confident < 500, "about 2% of 20,000: " + confident);
    assertTrue(unsure > 4_600 && unsure < 5_400, "about 25% of 20,000: " + unsure);
    assertTrue(
        otherLabel > 300 && otherLabel < 500,
        "only normal answers are over-sampled: " + otherLabel);
  }

  @Test
  void theSameFrameIsSampledTheSameWayByEveryNode() {
    AuditRule rule = new AuditRule(0.1, 0, 0.1, 1000);
    AuditSampler one = new AuditSampler(Map.of("urban", rule));
    AuditSampler other = new AuditSampler(Map.of("urban", rule));
    for (int i = 0; i < 2_000; i++) {
      String id = frame("cam-" + (i % 700), i);
      assertEquals(
          one.decide(id, answer("urban", "normal", 0.9), NOW).isPresent(),
          other.decide(id, answer("urban", "normal", 0.9), NOW).isPresent(),
          id);
    }
  }

  @Test
  void noCameraAddsMoreThanItsCapPerHour() {
    AuditSampler sampler = new AuditSampler(Map.of("urban", new AuditRule(1.0, 0, 1.0, 3)));
    Classification normal = answer("urban", "normal", 0.9);
    int busy = 0;
    for (int i = 0; i < 50; i++) {
      busy += sampler.decide(frame("busy-cam", i), normal, NOW).isPresent() ? 1 : 0;
    }
    assertEquals(3, busy);
    assertTrue(
        sampler.decide(frame("quiet-cam", 1), normal, NOW).isPresent(),
        "other cameras keep their share");
    assertTrue(
        sampler.decide(frame("busy-cam", 99), normal, NOW.plusSeconds(3600)).isPresent(),
        "the next hour starts a new window");
  }

  @Test
  void aModelWithoutARuleIsNotAuditedAndTheAnswerIsTheModelsOwn() {
    AuditSampler sampler = new AuditSampler(Map.of("urban", new AuditRule(1.0, 0, 1.0, 10)));
    assertTrue(sampler.decide(frame("cam-1", 1), answer("waste", "normal", 0.9), NOW).isEmpty());
    LabelScore item =
        sampler.decide(frame("cam-1", 2), answer("urban", "normal", 0.8), NOW).orElseThrow();
    assertEquals(new LabelScore("normal", 0.8), item);
  }

  @Test
  void rulesOutsideTheirBoundsAreRefusedNamingTheField() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new AuditRule(1.5, 0, 1, 1))
            .getMessage()
            .startsWith("rate must be in 0..1"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new AuditRule(0.5, 0.6, 0.1, 1))
            .getMessage()
            .startsWith("normalRate must be at least rate"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new AuditRule(0.1, 0.6, 0.2, 0))
            .getMessage()
            .startsWith("perCameraPerHour must be in 1..10000"));
  }
}
