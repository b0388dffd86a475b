package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BatchMixerTest {
  private static final int W = 40;
  private static final int H = 30;
  private static final int N = 6;
  private static final int CLASSES = 6;

  /** Image i is filled with the value i + 1 and labelled i; plain one-hot targets, weight 1. */
  private static float[] images() {
    float[] data = new float[N * 3 * W * H];
    for (int i = 0; i < N; i++) {
      Arrays.fill(data, i * 3 * W * H, (i + 1) * 3 * W * H, i + 1);
    }
    return data;
  }

  private static float[] oneHot() {
    int[] labels = {0, 1, 2, 3, 4, 5};
    return FineTuning.targets(labels, N, CLASSES, new double[] {1, 1, 1, 1, 1, 1}, 0);
  }

  @Test
  void cutMixPastesABoxFromThePartnerAndMixesTheTargetsByItsArea() {
    BatchMixer mixer = new BatchMixer(new MixSpec(MixSpec.Kind.CUTMIX, 1, 1), 3);
    int mixedImages = 0;
    for (int round = 0; round < 20; round++) {
      float[] data = images();
      float[] target = oneHot();
      mixer.mix(data, target, N, W, H, CLASSES);
      for (int i = 0; i < N; i++) {
        int[] count = new int[N + 1];
        for (int c = 0; c < 3; c++) {
          for (int k = 0; k < W * H; k++) {
            float v = data[(i * 3 + c) * W * H + k];
            assertEquals(Math.round(v), v, "CutMix copies pixels, never blends them");
            count[Math.round(v)]++;
          }
        }
        float rowSum = 0;
        int partners = 0;
        for (int j = 0; j < N; j++) {
          float share = (float) count[j + 1] / (3 * W * H);
          assertEquals(
              share,
              target[i * CLASSES + j],
              1e-6,
              "image "
                  + i
                  + "'s target for class "
                  + j
                  + " is the share of its pixels that came from image "
                  + j);
          rowSum += target[i * CLASSES + j];
          if (j != i && count[j + 1] > 0) {
            partners++;
          }
        }
        assertEquals(1, rowSum, 1e-5, "a mixed row keeps its total weight");
        assertTrue(partners <= 1, "pixels come from one partner at most");
        assertTrue(
            target[i * CLASSES + i] > 0,
            "an image keeps some of itself (the box is clipped to it)");
        mixedImages += partners;
      }
    }
    assertTrue(mixedImages > N * 20 / 2, "most images got a box from a partner: " + mixedImages);
  }

  @Test
  void mixUpBlendsWholeImagesAndTargetsByTheSameShare() {
    BatchMixer mixer = new BatchMixer(new MixSpec(MixSpec.Kind.MIXUP, 0.4, 1), 5);
    float[] data = images();
    float[] target = oneHot();
    double kept = mixer.mix(data, target, N, W, H, CLASSES);
    assertTrue(kept > 0 && kept < 1, "the mean kept share is a proper mix: " + kept);
    for (int i = 0; i < N; i++) {
      float lambda = target[i * CLASSES + i];
      int partner = -1;
      for (int j = 0; j < N; j++) {
        if (j != i && target[i * CLASSES + j] > 0) {
          partner = j;
        }
      }
      assertTrue(partner >= 0, "image " + i + " was paired with another image");
      assertEquals(1 - lambda, target[i * CLASSES + partner], 1e-6);
      float expected = lambda * (i + 1) + (1 - lambda) * (partner + 1);
      for (int k = 0; k < 3 * W * H; k += 97) {
        assertEquals(expected, data[i * 3 * W * H + k], 1e-4, "pixel " + k + " of image " + i);
      }
    }
  }

  @Test
  void classWeightsAndSmoothingMixWithTheTargets() {
    int[] labels = {0, 5};
    double[] weights = {1, 1, 1, 1, 1, 3};
    float[] target = FineTuning.targets(labels, 2, CLASSES, weights, 0.1);
    assertEquals(1 * (0.9 + 0.1 / 6), target[0], 1e-6);
    assertEquals(3 * (0.9 + 0.1 / 6), target[CLASSES + 5], 1e-6);
    float[] data = new float[2 * 3 * W * H];
    Arrays.fill(data, 3 * W * H, 2 * 3 * W * H, 1); // image 0 is all 0, image 1 all 1
    new BatchMixer(new MixSpec(MixSpec.Kind.MIXUP, 1, 1), 1).mix(data, target, 2, W, H, CLASSES);
    double lambda0 = 1 - data[0]; // image 0 kept lambda0 of itself
    double lambda1 = data[3 * W * H]; // image 1 kept lambda1 of itself
    double[] rowWeight = new double[2];
    for (int k = 0; k < CLASSES; k++) {
      rowWeight[0] += target[k];
      rowWeight[1] += target[CLASSES + k];
    }
    assertEquals(
        lambda0 * 1 + (1 - lambda0) * 3,
        rowWeight[0],
        1e-4,
        "a mixed image weighs the same mix of its weights");
    assertEquals(lambda1 * 3 + (1 - lambda1) * 1, rowWeight[1], 1e-4);
    assertEquals(
        lambda0 * (0.9 + 0.1 / 6) + (1 - lambda0) * 3 * 0.1 / 6,
        target[0],
        1e-4,
        "the class-0 entry mixes image 0's smoothed target with image 1's");
  }

  @Test
  void unmixedBatchesStayAsTheyAre() {
    for (MixSpec spec : new MixSpec[] {MixSpec.NONE, new MixSpec(MixSpec.Kind.CUTMIX, 1, 0)}) {
      float[] data = images();
      float[] target = oneHot();
      assertEquals(1.0, new BatchMixer(spec, 1).mix(data, target, N, W, H, CLASSES));
      assertArrayEquals(images(), data);
      assertArrayEquals(oneHot(), target);
    }
    float[] one = new float[3 * W * H];
    float[] oneTarget = new float[CLASSES];
    assertEquals(
        1.0,
        new BatchMixer(new MixSpec(MixSpec.Kind.CUTMIX, 1, 1), 1)
            .mix(one, oneTarget, 1, W, H, CLASSES),
        "a batch of one has no partner");
  }

  @Test
  void theSameSeedMixesTheSameWay() {
    MixSpec spec = new MixSpec(MixSpec.Kind.CUTMIX, 1, 0.5);
    float[] a = images();
    float[] b = images();
    float[] ta = oneHot();
    float[] tb = oneHot();
    BatchMixer first = new BatchMixer(spec, 9);
    BatchMixer second = new BatchMixer(spec, 9);
    for (int round = 0; round < 5; round++) {
      first.mix(a, ta, N, W, H, CLASSES);
      second.mix(b, tb, N, W, H, CLASSES);
    }
    assertArrayEquals(a, b);
    assertArrayEquals(ta, tb);
    float[] c = images();
    float[] tc = oneHot();
    BatchMixer other = new BatchMixer(spec, 10);
    for (int round = 0; round < 5; round++) {
      other.mix(c, tc, N, W, H, CLASSES);
    }
    assertNotEquals(Arrays.toString(ta), Arrays.toString(tc));
  }

  @Test
  void betaDrawsHaveTheRightShape() {
    BatchMixer mixer = new BatchMixer(MixSpec.NONE, 4);
    int n = 20000;
    double sum = 0;
    int middle = 0;
    for (int i = 0; i < n; i++) {
      double x = mixer.beta(0.2);
      assertTrue(x >= 0 && x <= 1);
      sum += x;
      middle += x > 0.1 && x < 0.9 ? 1 : 0;
    }
    assertEquals(0.5, sum / n, 0.02, "Beta(a, a) is symmetric around 0.5");
    // Beta(0.2, 0.2) puts 32.7% of its mass in (0.1, 0.9) (numerical integral); uniform would put
    // 80% there.
    assertEquals(0.327, (double) middle / n, 0.02);
    double uniformMiddle = 0;
    for (int i = 0; i < n; i++) {
      double x = mixer.beta(1);
      uniformMiddle += x > 0.1 && x < 0.9 ? 1 : 0;
    }
    assertEquals(0.8, uniformMiddle / n, 0.02, "Beta(1, 1) is uniform");
  }

  @Test
  void specsParseWithDefaultsAndRefuseNonsense() {
    assertEquals(new MixSpec(MixSpec.Kind.CUTMIX, 1, 0.5), MixSpec.parse("cutmix"));
    assertEquals(new MixSpec(MixSpec.Kind.MIXUP, 0.2, 0.3), MixSpec.parse("MixUp:0.3:0.2"));
    assertEquals(MixSpec.NONE, MixSpec.parse("none"));
    assertEquals("cutmix:0.5:1.0", MixSpec.parse("cutmix").toString());
    for (String bad :
        new String[] {
          "cutout", "cutmix:2", "mixup:0.5:0", "cutmix:a", "none:0.5", "cutmix:0.5:1:3"
        }) {
      assertThrows(IllegalArgumentException.class, () -> MixSpec.parse(bad), bad);
    }
  }
}
