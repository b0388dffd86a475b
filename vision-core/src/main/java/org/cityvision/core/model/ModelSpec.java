package org.cityvision.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.cityvision.core.image.InputSpec;

/**
 * The contents of a model package's {@code model.json}: what the model is, what it outputs, how it
 * wants its input, and how well it did.
 *
 * @param name short name, also the task it serves by default (e.g. {@code waste})
 * @param version version string; results and reviews record it
 * @param task the task this model answers ({@code waste}, {@code urban}, ...)
 * @param labels class labels in output order; data, not code, so taxonomies can grow
 * @param input size, resize policy, channel order and normalisation
 * @param backbone the pretrained backbone it was fine-tuned from
 * @param weights base name of the weights file in the package ({@code <weights>-0000.params})
 * @param thresholds decision thresholds chosen on validation data
 * @param training free-form summary of the training data and command
 * @param metrics free-form evaluation metrics
 */
public record ModelSpec(
    String name,
    String version,
    String task,
    List<String> labels,
    InputSpec input,
    BackboneSpec backbone,
    String weights,
    Thresholds thresholds,
    JsonNode training,
    JsonNode metrics) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  public ModelSpec {
    requireName("name", name);
    requireName("task", task);
    requireName("weights", weights);
    if (version == null || version.isBlank() || version.length() > 64) {
      throw new IllegalArgumentException("version is required (at most 64 characters)");
    }
    if (labels == null || labels.size() < 2) {
      throw new IllegalArgumentException("a model needs at least 2 labels, got " + labels);
    }
    labels = List.copyOf(labels);
    if (new HashSet<>(labels).size() != labels.size()) {
      throw new IllegalArgumentException("labels must be distinct, got " + labels);
    }
    if (input == null || backbone == null) {
      throw new IllegalArgumentException("input and backbone are required");
    }
    thresholds = thresholds == null ? Thresholds.NONE : thresholds;
    for (String label : thresholds.flag().keySet()) {
      if (!labels.contains(label)) {
        throw new IllegalArgumentException(
            "flag threshold names unknown label '" + label + "'; labels are " + labels);
      }
    }
    training = training == null ? JsonNodeFactory.instance.objectNode() : training.deepCopy();
    metrics = metrics == null ? JsonNodeFactory.instance.objectNode() : metrics.deepCopy();
  }

  private static void requireName(String field, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + " must match " + NAME.pattern() + ", got '" + value + "'");
    }
  }

  public ModelSpec withVersion(String newVersion) {
    return new ModelSpec(
        name, newVersion, task, labels, input, backbone, weights, thresholds, training, metrics);
  }

  public ModelSpec withThresholds(Thresholds newThresholds) {
    return new ModelSpec(
        name, version, task, labels, input, backbone, weights, newThresholds, training, metrics);
  }

  public ModelSpec withTraining(JsonNode newTraining) {
    return new ModelSpec(
        name, version, task, labels, input, backbone, weights, thresholds, newTraining, metrics);
  }

  public ModelSpec withMetrics(JsonNode newMetrics) {
    return new ModelSpec(
        name, version, task, labels, input, backbone, weights, thresholds, training, newMetrics);
  }
}
