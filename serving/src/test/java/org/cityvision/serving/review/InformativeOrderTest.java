package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.junit.jupiter.api.Test;

class InformativeOrderTest {
  private static final Instant T = Instant.parse("2025-06-01T12:00:00Z");
  private static int seq;

  private static FlagRecord flag(String source, String label, Double margin) {
    String id = FrameId.generate(source, T.plusSeconds(seq++)).value();
    return new FlagRecord(
        id,
        source,
        label,
        0.6,
        "waste",
        "1.0.0",
        T,
        FlagStatus.OPEN,
        1,
        null,
        null,
        null,
        null,
        FlagRecord.CAPTURED,
        margin);
  }

  @Test
  void smallestMarginComesFirst() {
    FlagRecord a = flag("m1", "glass", 0.5);
    FlagRecord b = flag("m2", "paper", 0.02);
    FlagRecord c = flag("m3", "metal", 0.2);
    assertEquals(List.of(b, c, a), InformativeOrder.arrange(List.of(a, b, c), 10));
  }

  @Test
  void oneBusyMachineCannotFillAPage() {
    List<FlagRecord> flags = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      flags.add(flag("busy", i % 2 == 0 ? "glass" : "paper", 0.001 * i));
    }
    FlagRecord quiet1 = flag("quiet-1", "metal", 0.4);
    FlagRecord quiet2 = flag("quiet-2", "plastic", 0.3);
    flags.add(quiet1);
    flags.add(quiet2);
    List<FlagRecord> page = InformativeOrder.arrange(flags, 3);
    assertEquals(List.of(flags.get(0), quiet2, quiet1), page);
  }

  @Test
  void withinARoundAClassNotYetTakenIsPreferred() {
    FlagRecord m1Glass = flag("m1", "glass", 0.01);
    FlagRecord m2Glass = flag("m2", "glass", 0.02);
    FlagRecord m2Paper = flag("m2", "paper", 0.05);
    List<FlagRecord> page = InformativeOrder.arrange(List.of(m1Glass, m2Glass, m2Paper), 3);
    assertEquals(List.of(m1Glass, m2Paper, m2Glass), page);
  }

  @Test
  void aFlagWithoutMarginRanksByTheSmallestMarginItsScoreAllows() {
    FlagRecord old =
        new FlagRecord(
            FrameId.generate("cam", T).value(),
            "cam",
            "graffiti",
            0.55,
            "urban",
            "1.0.0",
            T,
            FlagStatus.OPEN,
            1,
            null,
            null,
            null,
            null);
    FlagRecord known = flag("m1", "glass", 0.2);
    assertEquals(0.1, InformativeOrder.margin(old), 1e-9);
    assertEquals(List.of(old, known), InformativeOrder.arrange(List.of(known, old), 5));
  }
}
