package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cityvision.datasets.folder.Sample;
import org.junit.jupiter.api.Test;

class SampleWeightsTest {
  private static final List<String> LABELS = List.of("glass", "metal");

  /** metal: 90 images from "cans", 10 from "box"; glass: 50 from "web". */
  private static List<Sample> samples() {
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      out.add(sample("metal", "cans", i));
    }
    for (int i = 0; i < 10; i++) {
      out.add(sample("metal", "box", i));
    }
    for (int i = 0; i < 50; i++) {
      out.add(sample("glass", "web", i));
    }
    return out;
  }

  private static Sample sample(String label, String source, int i) {
    return new Sample(label + "/" + source + i, Path.of(source + i + ".jpg"), label, source, "");
  }

  private static double total(List<Sample> samples, double[] w, String label, String source) {
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      if (samples.get(i).label().equals(label)
          && (source == null || samples.get(i).source().equals(source))) {
        sum += w[i];
      }
    }
    return sum;
  }

  @Test
  void withoutBalanceTheWeightsAreClassWeights() {
    List<Sample> s = samples();
    double[] w = SampleWeights.of(s, LABELS, 0);

    assertEquals(150.0 / (2 * 100), w[0], 1e-12);
    assertEquals(150.0 / (2 * 50), w[149], 1e-12);
  }

  @Test
  void everyClassWeighsTheSameAndFullBalanceGivesEverySourceOfAClassTheSameShare() {
    List<Sample> s = samples();
    double[] w = SampleWeights.of(s, LABELS, 1);

    assertEquals(75, total(s, w, "metal", null), 1e-9);
    assertEquals(75, total(s, w, "glass", null), 1e-9);
    assertEquals(37.5, total(s, w, "metal", "cans"), 1e-9);
    assertEquals(37.5, total(s, w, "metal", "box"), 1e-9);
    double mean = Arrays.stream(w).average().orElseThrow();
    assertEquals(1, mean, 1e-12);
  }

  @Test
  void halfBalanceSharesAClassBetweenSourcesBySquareRootOfTheirCounts() {
    List<Sample> s = samples();
    double[] w = SampleWeights.of(s, LABELS, 0.5);

    double cans = total(s, w, "metal", "cans");
    double box = total(s, w, "metal", "box");
    assertEquals(Math.sqrt(90) / Math.sqrt(10), cans / box, 1e-9);
    assertEquals(75, cans + box, 1e-9);
  }

  @Test
  void refusesABalanceOutsideZeroToOneAndUnknownLabels() {
    assertThrows(IllegalArgumentException.class, () -> SampleWeights.of(samples(), LABELS, 1.5));
    assertThrows(
        IllegalArgumentException.class,
        () -> SampleWeights.of(samples(), List.of("glass", "paper"), 0));
  }
}
