package org.cityvision.serving.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cityvision.serving.config.CaptureConfig;
import org.junit.jupiter.api.Test;

class CapturePolicyTest {
  private static final double CLEAR = 0.84;
  private static final double CLOSE = 0.01;

  @Test
  void parsesTheFourPoliciesAndPrintsWhatItParses() {
    assertEquals(CapturePolicy.NEVER, CapturePolicy.parse("k", "never"));
    assertEquals(CapturePolicy.UNCERTAIN, CapturePolicy.parse("k", " Uncertain "));
    assertEquals(CapturePolicy.ALWAYS, CapturePolicy.parse("k", "always"));
    CapturePolicy sample = CapturePolicy.parse("k", "sample:0.25");
    assertEquals(CapturePolicy.Mode.SAMPLE, sample.mode());
    assertEquals(0.25, sample.rate());
    assertEquals(sample, CapturePolicy.parse("k", sample.toString()));
    assertEquals(CapturePolicy.Mode.SAMPLE, CapturePolicy.parse("k", "sample:1").mode());
  }

  @Test
  void refusesUnknownPoliciesAndRatesOutsideZeroToOneNamingTheSetting() {
    for (String bad :
        new String[] {
          "sometimes", "", "sample:0", "sample:1.5", "sample:-0.1", "sample:x", "sample:"
        }) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> CapturePolicy.parse("capture.waste", bad), bad);
      assertTrue(e.getMessage().startsWith("capture.waste"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> CapturePolicy.parse("k", null));
  }

  @Test
  void uncertainKeepsUncertainAnswersAndAnswersWithASmallTopTwoMargin() {
    CapturePolicy p = CapturePolicy.UNCERTAIN;
    assertTrue(p.captures(true, CLEAR, 0.15, 0.99), "uncertain per the model's policy");
    assertTrue(p.captures(false, CLOSE, 0.15, 0.99), "margin 0.01 < 0.15");
    assertFalse(p.captures(false, CLEAR, 0.15, 0.0), "certain, margin 0.84");
    assertFalse(p.captures(false, CLOSE, 0.0, 0.0), "marginBelow 0 never keeps by margin");
  }

  @Test
  void sampleKeepsDrawsBelowItsRateNeverAndAlwaysIgnoreTheAnswer() {
    CapturePolicy p = CapturePolicy.parse("k", "sample:0.3");
    assertTrue(p.captures(false, CLEAR, 0.15, 0.29));
    assertFalse(p.captures(true, CLOSE, 0.15, 0.3));
    assertFalse(CapturePolicy.NEVER.captures(true, CLOSE, 1, 0));
    assertTrue(CapturePolicy.ALWAYS.captures(false, CLEAR, 0, 0.999));
  }

  @Test
  void configDefaultsKeepUncertainWasteAndNoUrbanAndValidateEveryKey() {
    CaptureConfig d = CaptureConfig.defaults();
    assertEquals(CapturePolicy.UNCERTAIN, d.policy("waste"));
    assertEquals(CapturePolicy.NEVER, d.policy("urban"));
    assertEquals(0.15, d.marginBelow());
    assertThrows(
        IllegalArgumentException.class, () -> new CaptureConfig("maybe", "never", 0.15, 10));
    assertThrows(
        IllegalArgumentException.class, () -> new CaptureConfig("never", "never", 1.5, 10));
    assertThrows(
        IllegalArgumentException.class, () -> new CaptureConfig("never", "never", 0.15, 0));
  }
}
