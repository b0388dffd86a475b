package org.cityvision.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opencv.core.Mat;

class DifferenceHashTest {
  private static DifferenceHash shot(Mat scene, double gain, int seed) throws Exception {
    return DifferenceHash.of(SyntheticScene.noisyJpeg(scene, gain, 3, seed, 80));
  }

  @Test
  void shotsOfOneStillSceneAreCloseAndOtherScenesAreFar() throws Exception {
    OpenCvRuntime.load();
    Mat scene = SyntheticScene.render(160, 90, 7);
    Mat other = SyntheticScene.render(160, 90, 99);
    try {
      DifferenceHash first = shot(scene, 1.0, 0);
      int worstSame = 0;
      for (int seed = 1; seed < 20; seed++) {
        worstSame =
            Math.max(worstSame, first.distance(shot(scene, seed % 2 == 0 ? 1.0 : 1.1, seed)));
      }
      int otherScene = first.distance(shot(other, 1.0, 0));
      assertTrue(worstSame <= 2, "shots of one scene differ in " + worstSame + " confident bits");
      assertTrue(otherScene >= 12, "another scene differs in only " + otherScene + " bits");
    } finally {
      scene.release();
      other.release();
    }
  }

  @Test
  void hexRoundTripsAndBadInputIsRefusedWithTheRule() throws Exception {
    DifferenceHash h = DifferenceHash.of(SyntheticScene.jpeg(160, 90, 3, 90));
    assertEquals(h, DifferenceHash.parse(h.hex()));
    assertEquals(0, h.distance(h));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> DifferenceHash.parse("abc"))
            .getMessage()
            .contains("32 lowercase hex digits"));
    assertThrows(CorruptImageException.class, () -> DifferenceHash.of(new byte[] {1, 2, 3}));
  }
}
