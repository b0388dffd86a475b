package org.cityvision.core.classify;

/** One label with its probability. */
public record LabelScore(String label, double score) {
  public LabelScore {
    if (label == null || label.isEmpty()) {
      throw new IllegalArgumentException("label is required");
    }
    if (!(score >= 0 && score <= 1.000001)) {
      throw new IllegalArgumentException("score must be a probability, got " + score);
    }
  }
}
