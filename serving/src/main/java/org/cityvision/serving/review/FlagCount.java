package org.cityvision.serving.review;

/**
 * How many flags a status holds.
 *
 * @param atLeast {@code true} when counting stopped at a bound, so the status holds {@code count}
 *     or more
 */
public record FlagCount(long count, boolean atLeast) {
  public FlagCount {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
  }
}
