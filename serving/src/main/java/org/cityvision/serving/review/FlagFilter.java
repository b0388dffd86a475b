package org.cityvision.serving.review;

import io.vertx.core.MultiMap;
import java.util.List;
import org.cityvision.core.naming.Names;
import org.cityvision.core.review.FlagRecord;

/**
 * The queue filters {@code GET /v1/flags} applies to each page the store returns: the model's score
 * range and who gave the verdict. Immutable.
 *
 * @param minScore flags scored below this are left out (0..1)
 * @param maxScore flags scored above this are left out (0..1, at least {@code minScore})
 * @param reviewer only flags whose current verdict this key name gave, or {@code null} for any
 */
record FlagFilter(double minScore, double maxScore, String reviewer) {
  FlagFilter {
    if (!(minScore >= 0 && minScore <= 1)) {
      throw new IllegalArgumentException("minScore must be in 0..1, got " + minScore);
    }
    if (!(maxScore >= 0 && maxScore <= 1)) {
      throw new IllegalArgumentException("maxScore must be in 0..1, got " + maxScore);
    }
    if (minScore > maxScore) {
      throw new IllegalArgumentException(
          "minScore must be at most maxScore, got " + minScore + " > " + maxScore);
    }
    if (reviewer != null) {
      Names.requireDottedSegment("reviewer", reviewer);
    }
  }

  /**
   * Reads {@code minScore}, {@code maxScore} and {@code reviewer} from a query (absent: no filter).
   */
  static FlagFilter parse(MultiMap params) {
    return new FlagFilter(
        score(params, "minScore", 0), score(params, "maxScore", 1), params.get("reviewer"));
  }

  /** {@code true} when nothing is filtered out. */
  boolean none() {
    return minScore == 0 && maxScore == 1 && reviewer == null;
  }

  /** The flags that pass, in their order. */
  List<FlagRecord> apply(List<FlagRecord> flags) {
    if (none()) {
      return flags;
    }
    return flags.stream()
        .filter(f -> f.score() >= minScore && f.score() <= maxScore)
        .filter(f -> reviewer == null || reviewer.equals(f.reviewer()))
        .toList();
  }

  private static double score(MultiMap params, String name, double dflt) {
    String v = params.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number in 0..1, got '" + v + "'", e);
    }
  }
}
