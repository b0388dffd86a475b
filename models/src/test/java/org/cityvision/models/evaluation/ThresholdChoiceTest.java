package org.cityvision.models.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.cityvision.datasets.folder.Sample;
import org.junit.jupiter.api.Test;

class ThresholdChoiceTest {
  private static final List<String> LABELS = List.of("graffiti", "normal");

  /** Graffiti probability {@code p} for each image; {@code positive} says which truly are. */
  private static Predictions predictions(double[] p, boolean[] positive) {
    List<Sample> samples = new ArrayList<>();
    int[] truth = new int[p.length];
    float[][] probabilities = new float[p.length][];
    for (int i = 0; i < p.length; i++) {
      truth[i] = positive[i] ? 0 : 1;
      samples.add(new Sample("x/" + i, Path.of(i + ".jpg"), LABELS.get(truth[i]), "s", ""));
      probabilities[i] = new float[] {(float) p[i], (float) (1 - p[i])};
    }
    return new Predictions(LABELS, samples, truth, probabilities);
  }

  @Test
  void flagsAtTheLowestThresholdWhoseFlagsAreAtLeastNinetyPercentRight() {
    double[] p = new double[20];
    boolean[] positive = new boolean[20];
    for (int i = 0; i < 10; i++) {
      p[i] = 0.95 - i * 0.02;
      positive[i] = true;
    }
    // One negative scores 0.6: flagging from 0.6 down adds it (precision 10/11 = 0.909 still fine);
    // a second one at 0.445 would drop precision to 10/12 = 0.83.
    p[10] = 0.6;
    p[11] = 0.445;
    for (int i = 12; i < 20; i++) {
      p[i] = 0.1;
    }

    ThresholdChoice choice =
        ThresholdChoice.choose(predictions(p, positive), 0.98, Set.of("normal"), 0.9);

    double t = choice.thresholds().flag().get("graffiti");
    assertEquals(0.45, t, 1e-9);
    assertTrue(!choice.thresholds().flag().containsKey("normal"));
  }

  @Test
  void uncertainThresholdLeavesAnswersAccurateEnough() {
    double[] p = {0.99, 0.97, 0.95, 0.9, 0.55, 0.52};
    boolean[] positive = {true, true, true, true, false, true};

    ThresholdChoice choice = ThresholdChoice.choose(predictions(p, positive), 0.98, Set.of(), 0.9);

    // Below 0.56 the 0.55 negative (answered "graffiti") would be let through.
    assertEquals(0.56, choice.thresholds().uncertainBelow(), 1e-9);
  }
}
