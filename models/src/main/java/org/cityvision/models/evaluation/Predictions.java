package org.cityvision.models.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.cityvision.datasets.folder.Sample;

/**
 * A model's outputs on a list of labelled images.
 *
 * @param labels the model's labels, in output order
 * @param samples the images
 * @param truth each image's true class index in {@code labels}
 * @param probabilities each image's class probabilities, in label order
 */
public record Predictions(
    List<String> labels, List<Sample> samples, int[] truth, float[][] probabilities) {
  public Predictions {
    labels = List.copyOf(labels);
    samples = List.copyOf(samples);
    if (truth.length != samples.size() || probabilities.length != samples.size()) {
      throw new IllegalArgumentException("need one truth and one prediction per sample");
    }
    truth = truth.clone();
    probabilities = probabilities.clone();
  }

  public Metrics metrics() {
    return Metrics.of(labels, truth, probabilities);
  }

  public int size() {
    return samples.size();
  }

  /** The predictions of the samples that pass {@code filter}. */
  public Predictions where(Predicate<Sample> filter) {
    List<Sample> kept = new ArrayList<>();
    List<Integer> index = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      if (filter.test(samples.get(i))) {
        kept.add(samples.get(i));
        index.add(i);
      }
    }
    int[] t = new int[kept.size()];
    float[][] p = new float[kept.size()][];
    for (int i = 0; i < t.length; i++) {
      t[i] = truth[index.get(i)];
      p[i] = probabilities[index.get(i)];
    }
    return new Predictions(labels, kept, t, p);
  }
}
