package org.cityvision.datasets.split;

/**
 * How to split: fractions of each stratum (class × source) and the seed. The same spec over the
 * same files always gives the same split, wherever the dataset lives, so {@code evaluate} can
 * rebuild the test split that {@code train} held out.
 *
 * @param val fraction for validation (checkpoint choice, thresholds)
 * @param test fraction held out for the final report
 * @param seed shuffling seed
 */
public record SplitSpec(double val, double test, long seed) {
  public static final SplitSpec DEFAULT = new SplitSpec(0.15, 0.15, 42);

  public SplitSpec {
    if (val < 0 || test < 0 || val + test >= 1) {
      throw new IllegalArgumentException(
          "val and test must be non-negative and leave some training data, got "
              + val
              + " and "
              + test);
    }
  }

  public double train() {
    return 1 - val - test;
  }
}
