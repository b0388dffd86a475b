package org.cityvision.models.training;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cityvision.datasets.folder.Sample;

/**
 * Loss weights per training image that keep both the classes and, within each class, the sources in
 * balance, so that no single source defines what a class looks like.
 *
 * <p>Each class gets the same total weight ({@code n / classes}, the usual class balancing). Inside
 * a class, source {@code s} with {@code n_s} of the class's {@code n_c} images gets a share
 * proportional to {@code n_s^(1 - balance)}: {@code balance = 0} keeps the images' own proportions
 * (plain class weights), {@code 1} gives every source of the class the same share however few
 * images it has, and values between temper a dominant source without letting a handful of images of
 * a small one weigh like hundreds. The mean weight over all images is 1.
 *
 * <p>Stateless; thread-safe.
 */
public final class SampleWeights {
  private SampleWeights() {}

  /**
   * The weight of each sample, in the order given.
   *
   * @param samples the training images
   * @param labels the class labels; every sample's label must be one of them
   * @param balance how far sources within a class are evened out, 0..1
   */
  public static double[] of(List<Sample> samples, List<String> labels, double balance) {
    if (!(balance >= 0 && balance <= 1)) {
      throw new IllegalArgumentException("source balance must be in 0..1, got " + balance);
    }
    int n = samples.size();
    Map<String, Integer> perClass = new HashMap<>();
    Map<String, Integer> perClassSource = new HashMap<>();
    for (Sample s : samples) {
      if (!labels.contains(s.label())) {
        throw new IllegalArgumentException(
            "sample " + s.id() + " has label '" + s.label() + "', not one of " + labels);
      }
      perClass.merge(s.label(), 1, Integer::sum);
      perClassSource.merge(s.label() + '\u0000' + s.source(), 1, Integer::sum);
    }
    // Per class: the sum over its sources of n_s^(1-balance), which normalises the sources' shares.
    Map<String, Double> norm = new HashMap<>();
    perClassSource.forEach(
        (key, count) ->
            norm.merge(
                key.substring(0, key.indexOf('\u0000')),
                Math.pow(count, 1 - balance),
                Double::sum));
    int present = perClass.size();
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      Sample s = samples.get(i);
      double classTotal = (double) n / present;
      int ns = perClassSource.get(s.label() + '\u0000' + s.source());
      double sourceShare = Math.pow(ns, 1 - balance) / norm.get(s.label());
      w[i] = classTotal * sourceShare / ns;
    }
    return w;
  }

  /**
   * Each class's mean weight over {@code samples}, in label order (0 for an absent class): for the
   * record.
   */
  public static double[] classMeans(List<Sample> samples, List<String> labels, double[] weights) {
    double[] sum = new double[labels.size()];
    int[] count = new int[labels.size()];
    for (int i = 0; i < samples.size(); i++) {
      int k = labels.indexOf(samples.get(i).label());
      sum[k] += weights[i];
      count[k]++;
    }
    for (int k = 0; k < sum.length; k++) {
      sum[k] = count[k] == 0 ? 0 : sum[k] / count[k];
    }
    return sum;
  }
}
