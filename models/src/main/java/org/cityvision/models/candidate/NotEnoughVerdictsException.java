package org.cityvision.models.candidate;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The verdicts cannot support a candidate: too few overall, too few in the holdout, or too few
 * examples of a label the live model does not have. A client error (the HTTP layer answers 400):
 * {@link #shortfalls()} says per rule and label what is missing.
 */
public final class NotEnoughVerdictsException extends CandidateException {
  /**
   * One unmet rule.
   *
   * @param label the label it concerns, or {@code *} for all verdicts together
   * @param have verdicts there are
   * @param need verdicts the rule asks for
   * @param rule the rule, in words
   */
  public record Shortfall(String label, int have, int need, String rule) {
    public Shortfall {
      if (label == null || label.isBlank() || rule == null || rule.isBlank()) {
        throw new IllegalArgumentException("label and rule are required");
      }
      if (have >= need) {
        throw new IllegalArgumentException(
            "not a shortfall: have " + have + " of " + need + " (" + rule + ")");
      }
    }

    /** How many more verdicts would meet the rule. */
    public int missing() {
      return need - have;
    }
  }

  private final transient List<Shortfall> shortfalls;

  public NotEnoughVerdictsException(List<Shortfall> shortfalls) {
    super(
        "not enough verdicts for a candidate: "
            + shortfalls.stream()
                .map(s -> s.label() + ": " + s.have() + " of " + s.need() + " (" + s.rule() + ")")
                .collect(Collectors.joining("; ")));
    if (shortfalls.isEmpty()) {
      throw new IllegalArgumentException("a shortfall is required");
    }
    this.shortfalls = List.copyOf(shortfalls);
  }

  public List<Shortfall> shortfalls() {
    return shortfalls;
  }
}
