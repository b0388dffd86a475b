package org.cityvision.models.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TemperatureTest {
  /**
   * Logits of a model whose true probabilities are softmax(z), reported as z * scale
   * (over-confident when scale > 1).
   */
  private static double[][] logits(int n, int classes, double scale, int[] truthOut, long seed) {
    Random random = new Random(seed);
    double[][] out = new double[n][classes];
    for (int i = 0; i < n; i++) {
      double[] z = new double[classes];
      for (int k = 0; k < classes; k++) {
        z[k] = random.nextGaussian() * 2;
      }
      float[] p = Temperature.NONE.probabilities(new double[][] {z})[0];
      double u = random.nextDouble();
      int y = classes - 1;
      for (int k = 0; k < classes; k++) {
        u -= p[k];
        if (u < 0) {
          y = k;
          break;
        }
      }
      truthOut[i] = y;
      for (int k = 0; k < classes; k++) {
        out[i][k] = z[k] * scale;
      }
    }
    return out;
  }

  @Test
  void recoversTheScaleOfLogitsThatAreOverConfidentByAKnownFactor() {
    int[] truth = new int[20000];
    double[][] z = logits(truth.length, 5, 2.5, truth, 1);

    Temperature t = Temperature.fit(z, truth);

    assertEquals(2.5, t.value(), 0.15);
    assertTrue(Temperature.nll(z, truth, t.value()) < Temperature.nll(z, truth, 1));
  }

  @Test
  void lowersTheCalibrationErrorOfOverConfidentPredictions() {
    int[] truth = new int[5000];
    double[][] z = logits(truth.length, 4, 3, truth, 2);
    List<String> labels = List.of("a", "b", "c", "d");

    double before = Metrics.of(labels, truth, Temperature.NONE.probabilities(z)).ece();
    double after = Metrics.of(labels, truth, Temperature.fit(z, truth).probabilities(z)).ece();

    assertTrue(before > 0.1, "before " + before);
    assertTrue(after < 0.03, "after " + after);
  }

  @Test
  void aHeadWithWeightsAndBiasDividedByTheTemperatureOutputsTheScaledProbabilities() {
    Random random = new Random(3);
    int classes = 3;
    int dim = 7;
    float[] w = new float[classes * dim];
    float[] b = new float[classes];
    float[] x = new float[dim];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
    }
    for (int k = 0; k < classes; k++) {
      b[k] = (float) random.nextGaussian();
    }
    for (int d = 0; d < dim; d++) {
      x[d] = (float) random.nextGaussian();
    }
    Temperature t = new Temperature(1.7);

    double[] raw = linear(w, b, x, classes);
    double[] folded = linear(t.fold(w), t.fold(b), x, classes);

    float[] expected = t.probabilities(new double[][] {raw})[0];
    float[] actual = Temperature.NONE.probabilities(new double[][] {folded})[0];
    assertArrayEquals(expected, actual, 1e-6f);
  }

  @Test
  void refusesANonPositiveTemperatureAndMismatchedTruths() {
    assertThrows(IllegalArgumentException.class, () -> new Temperature(0));
    assertThrows(IllegalArgumentException.class, () -> new Temperature(Double.NaN));
    assertThrows(
        IllegalArgumentException.class, () -> Temperature.fit(new double[][] {{1, 2}}, new int[0]));
  }

  private static double[] linear(float[] w, float[] b, float[] x, int classes) {
    double[] out = new double[classes];
    for (int k = 0; k < classes; k++) {
      double s = b[k];
      for (int d = 0; d < x.length; d++) {
        s += w[k * x.length + d] * x[d];
      }
      out[k] = s;
    }
    return out;
  }
}
