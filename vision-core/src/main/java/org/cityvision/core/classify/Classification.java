package org.cityvision.core.classify;

import java.util.List;
import java.util.Optional;
import org.cityvision.core.model.PooledFeatures;

/**
 * The outcome of classifying one image.
 *
 * @param label the most probable label
 * @param score its probability
 * @param top the {@code k} most probable labels, best first
 * @param probabilities every label's probability, in the model's label order
 * @param labels the model's labels, in output order
 * @param model the model's name
 * @param version the model's version
 * @param batchSize how many images shared the forward pass
 * @param timings where the time went
 * @param features the backbone's pooled features from the same forward pass, or {@code null} when
 *     the classifier keeps none ({@link Classifier})
 */
public record Classification(
    String label,
    double score,
    List<LabelScore> top,
    List<Double> probabilities,
    List<String> labels,
    String model,
    String version,
    int batchSize,
    Timings timings,
    PooledFeatures features) {
  public Classification {
    if (label == null || model == null || version == null) {
      throw new IllegalArgumentException("label, model and version are required");
    }
    top = List.copyOf(top);
    probabilities = List.copyOf(probabilities);
    labels = List.copyOf(labels);
    if (labels.size() != probabilities.size()) {
      throw new IllegalArgumentException(
          labels.size() + " labels but " + probabilities.size() + " probabilities");
    }
    if (top.isEmpty()) {
      throw new IllegalArgumentException("top must hold at least the best label");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    timings = timings == null ? Timings.NONE : timings;
  }

  /** A classification without features. */
  public Classification(
      String label,
      double score,
      List<LabelScore> top,
      List<Double> probabilities,
      List<String> labels,
      String model,
      String version,
      int batchSize,
      Timings timings) {
    this(label, score, top, probabilities, labels, model, version, batchSize, timings, null);
  }

  /** The backbone's pooled features of this image, when the classifier kept them. */
  public Optional<PooledFeatures> pooledFeatures() {
    return Optional.ofNullable(features);
  }

  /**
   * The same classification with the timings its caller measured (for example decoding done
   * elsewhere).
   */
  public Classification withTimings(Timings newTimings) {
    return new Classification(
        label, score, top, probabilities, labels, model, version, batchSize, newTimings, features);
  }

  /** The probability of one label, if the model has it. */
  public Optional<Double> labelProbability(String name) {
    int i = labels.indexOf(name);
    return i < 0 ? Optional.empty() : Optional.of(probabilities.get(i));
  }
}
