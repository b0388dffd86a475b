package org.cityvision.models.training;

import java.util.Arrays;
import java.util.Random;

/**
 * Applies a {@link MixSpec} to a phase 2 batch in place: each image is paired with another image of
 * the batch (a random permutation), the pixels are mixed (a pasted box or a blend) and the targets
 * are mixed by the same share, so that the loss asks for "λ of class a and 1 − λ of class b".
 *
 * <p>Targets are the rows that {@link FineTuning#targets} builds (class-weighted, label-smoothed),
 * so a mixed image's weight in the loss is the same mix of its two images' weights. Not
 * thread-safe.
 */
final class BatchMixer {
  private final MixSpec spec;
  private final Random random;

  BatchMixer(MixSpec spec, long seed) {
    this.spec = spec;
    this.random = new Random(seed);
  }

  /**
   * Mixes the first {@code n} CHW images of {@code data} and their {@code classes}-wide target
   * rows; returns the mean share λ kept from each image's own content (1 when the batch was left as
   * is).
   */
  double mix(float[] data, float[] target, int n, int width, int height, int classes) {
    if (!spec.active() || n < 2 || random.nextDouble() >= spec.probability()) {
      return 1;
    }
    int[] partner = derangement(n);
    int plane = width * height;
    float[] original = Arrays.copyOf(data, n * 3 * plane);
    float[] originalTarget = Arrays.copyOf(target, n * classes);
    double lambdaSum = 0;
    for (int i = 0; i < n; i++) {
      int j = partner[i];
      double lambda = beta(spec.alpha());
      if (spec.kind() == MixSpec.Kind.CUTMIX) {
        lambda = pasteBox(original, data, i, j, lambda, width, height);
      } else {
        float a = (float) lambda;
        float b = 1 - a;
        int oi = i * 3 * plane;
        int oj = j * 3 * plane;
        for (int k = 0; k < 3 * plane; k++) {
          data[oi + k] = a * original[oi + k] + b * original[oj + k];
        }
      }
      for (int k = 0; k < classes; k++) {
        target[i * classes + k] =
            (float)
                (lambda * originalTarget[i * classes + k]
                    + (1 - lambda) * originalTarget[j * classes + k]);
      }
      lambdaSum += lambda;
    }
    return lambdaSum / n;
  }

  /**
   * Copies a box covering about {@code 1 − lambda} of the area from image {@code j} of {@code
   * source} into image {@code i} of {@code data}; returns the share of image {@code i} that stays,
   * after the box is clipped to the image.
   */
  private double pasteBox(
      float[] source, float[] data, int i, int j, double lambda, int width, int height) {
    double side = Math.sqrt(1 - lambda);
    int boxW = (int) Math.round(width * side);
    int boxH = (int) Math.round(height * side);
    int cx = random.nextInt(width);
    int cy = random.nextInt(height);
    int x0 = Math.max(0, cx - boxW / 2);
    int x1 = Math.min(width, cx + (boxW - boxW / 2));
    int y0 = Math.max(0, cy - boxH / 2);
    int y1 = Math.min(height, cy + (boxH - boxH / 2));
    if (x1 <= x0 || y1 <= y0) {
      return 1;
    }
    int plane = width * height;
    for (int c = 0; c < 3; c++) {
      int oi = (i * 3 + c) * plane;
      int oj = (j * 3 + c) * plane;
      for (int y = y0; y < y1; y++) {
        System.arraycopy(source, oj + y * width + x0, data, oi + y * width + x0, x1 - x0);
      }
    }
    return 1 - (double) (x1 - x0) * (y1 - y0) / plane;
  }

  /** A random permutation of {@code 0..n-1} in which no image is its own partner. */
  private int[] derangement(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    // Sattolo's algorithm: a uniformly random single cycle, so p[i] != i for every i.
    for (int i = n - 1; i > 0; i--) {
      int k = random.nextInt(i);
      int t = p[i];
      p[i] = p[k];
      p[k] = t;
    }
    return p;
  }

  /** A draw from Beta(alpha, alpha), as X / (X + Y) of two Gamma(alpha) draws. */
  double beta(double alpha) {
    double x = gamma(alpha);
    double y = gamma(alpha);
    return x + y == 0 ? 0.5 : x / (x + y);
  }

  /** Marsaglia and Tsang's method; shapes below 1 through the boost {@code G(a+1) · U^(1/a)}. */
  private double gamma(double shape) {
    if (shape < 1) {
      return gamma(shape + 1) * Math.pow(random.nextDouble(), 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double z = random.nextGaussian();
      double v = 1 + c * z;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = random.nextDouble();
      if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }
}
