package org.cityvision.models.evaluation;

/**
 * Temperature scaling: one positive number {@code T} that divides a classifier's logits before the
 * softmax, fitted to minimise the negative log-likelihood of held-out predictions. It changes no
 * prediction (the arg-max stays), only how confident the scores are: a {@code T} above 1 softens an
 * over-confident model. A linear head folds it in exactly by dividing its weights and bias by
 * {@code T}, so a served model needs no extra step.
 *
 * @param value the temperature, positive and finite
 */
public record Temperature(double value) {
  /** Leaves the logits as they are. */
  public static final Temperature NONE = new Temperature(1);

  private static final double LOW = Math.log(0.05);
  private static final double HIGH = Math.log(20);

  public Temperature {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("a temperature must be positive and finite, got " + value);
    }
  }

  /**
   * The temperature in 0.05..20 that minimises the mean NLL of {@code truth} under {@code
   * softmax(logits / T)} (golden-section search on {@code log T}; the NLL is convex in {@code 1/T},
   * so the minimum is unique).
   */
  public static Temperature fit(double[][] logits, int[] truth) {
    if (logits.length != truth.length || logits.length == 0) {
      throw new IllegalArgumentException(
          "need one truth per logit row and at least one row, got "
              + logits.length
              + " rows and "
              + truth.length
              + " truths");
    }
    double phi = (Math.sqrt(5) - 1) / 2;
    double a = LOW;
    double b = HIGH;
    double c = b - phi * (b - a);
    double d = a + phi * (b - a);
    double fc = nll(logits, truth, Math.exp(c));
    double fd = nll(logits, truth, Math.exp(d));
    for (int i = 0; i < 80 && b - a > 1e-6; i++) {
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - phi * (b - a);
        fc = nll(logits, truth, Math.exp(c));
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + phi * (b - a);
        fd = nll(logits, truth, Math.exp(d));
      }
    }
    return new Temperature(Math.exp((a + b) / 2));
  }

  /** Mean negative log-likelihood of {@code truth} under {@code softmax(logits / t)}. */
  public static double nll(double[][] logits, int[] truth, double t) {
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (double l : logits[i]) {
        max = Math.max(max, l / t);
      }
      double z = 0;
      for (double l : logits[i]) {
        z += Math.exp(l / t - max);
      }
      sum -= logits[i][truth[i]] / t - max - Math.log(z);
    }
    return sum / logits.length;
  }

  /** {@code softmax(logits / T)} of each row. */
  public float[][] probabilities(double[][] logits) {
    float[][] out = new float[logits.length][];
    for (int i = 0; i < logits.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (double l : logits[i]) {
        max = Math.max(max, l / value);
      }
      double z = 0;
      double[] e = new double[logits[i].length];
      for (int k = 0; k < e.length; k++) {
        e[k] = Math.exp(logits[i][k] / value - max);
        z += e[k];
      }
      out[i] = new float[e.length];
      for (int k = 0; k < e.length; k++) {
        out[i][k] = (float) (e[k] / z);
      }
    }
    return out;
  }

  /**
   * A linear layer's weights or bias divided by {@code T}: the layer then outputs {@code logits /
   * T}.
   */
  public float[] fold(float[] weightsOrBias) {
    float[] out = new float[weightsOrBias.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (weightsOrBias[i] / value);
    }
    return out;
  }
}
