package org.cityvision.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;
import org.cityvision.app.bench.CameraBenchmark.Kind;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.Test;

/** {@code bench cameras}: its camera mix, its settings' rules, and a short real run. */
class CameraBenchmarkTest {
  @Test
  void everyTenthCameraIsFaultyAndStaticCamerasAreSpreadByShare() {
    Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
    for (int c = 0; c < 100; c++) {
      kinds.merge(CameraBenchmark.kind(c, 0.8), 1, Integer::sum);
    }
    assertEquals(5, kinds.get(Kind.BLACK));
    assertEquals(5, kinds.get(Kind.COVERED));
    assertEquals(72, kinds.get(Kind.STATIC), "80% of the 90 healthy cameras");
    assertEquals(18, kinds.get(Kind.BUSY));
    for (int c = 0; c < 30; c++) {
      Kind k = CameraBenchmark.kind(c, 0.0);
      assertTrue(k != Kind.STATIC, "no static camera at share 0: " + c);
    }
  }

  @Test
  void settingsOutsideTheirRangesAreRefusedNamingTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new CameraBenchmark.Settings(10, 10, 1.5, 30));
    assertTrue(e.getMessage().contains("--static-share"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new CameraBenchmark.Settings(0, 10, 0.5, 30));
  }

  @Test
  void aShortRunLosesNoFrameAndFindsTheInjectedFaults() throws Exception {
    CameraBenchmark.Settings settings = new CameraBenchmark.Settings(10, 3.0, 0.8, 30);
    CameraBenchmark.Result r = run(settings);
    assertTrue(
        r.sent() > 90 && r.sent() <= 100, "each camera posts every 3 s for 30 s: " + r.sent());
    assertTrue(r.accepted() > r.sent() / 2, r.markdown());
    assertEquals(0, r.lost(), "every accepted frame is in the store: " + r.markdown());
    assertEquals(1, r.injected());
    assertEquals(r.injected(), r.found(), r.markdown());
    assertEquals(0, r.falseStates(), r.markdown());
    assertTrue(r.markdown().contains("| 10 | 3.00 | 0.80 |"), r.markdown());
  }

  @Test
  void afterAWarmUpStaticCamerasReuseTheirResultsFromTheFirstMeasuredFrame() throws Exception {
    CameraBenchmark.Settings settings = new CameraBenchmark.Settings(10, 2.0, 0.8, 20, true);
    CameraBenchmark.Result r = run(settings);
    assertTrue(r.markdown().contains("after a warm-up"), r.markdown());
    assertTrue(
        r.sent() > 90 && r.sent() <= 100,
        "the warm-up's frames are not counted: " + r.sent() + "\n" + r.markdown());
    assertEquals(0, r.lost(), r.markdown());
    // 7 of the 9 healthy cameras are static: with their first frame classified in the warm-up,
    // their accepted frames reuse it.
    assertTrue(r.reused() >= r.accepted() / 2, r.markdown());
    assertEquals(1, r.injected(), "warm-up frame + 10 measured ones reach the fault");
    assertEquals(r.injected(), r.found(), r.markdown());
  }

  private static CameraBenchmark.Result run(CameraBenchmark.Settings settings) throws Exception {
    return new CameraBenchmark(
            Home.shippedModel("waste"),
            Home.shippedModel("urban"),
            settings,
            new PrintStream(PrintStream.nullOutputStream()))
        .run();
  }
}
