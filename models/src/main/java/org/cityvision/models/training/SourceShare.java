package org.cityvision.models.training;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code SOURCE[,SOURCE...]:NUMBER}, the form of the training options that apply something to a
 * share of some sources' images ({@code --composite}, {@code --synthesize-floods}, {@code
 * --synthesize-potholes}): the source tags, sorted, and the number after the last colon.
 */
record SourceShare(Set<String> sources, double value) {
  /**
   * @param usage what the option takes, for the message when {@code text} has no colon
   * @param number what the number is, for the message when it is not one
   */
  static SourceShare parse(String text, String usage, String number) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(usage + ", got '" + text + "'");
    }
    double value;
    try {
      value = Double.parseDouble(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(number + " must be a number, got '" + text + "'", e);
    }
    return new SourceShare(new TreeSet<>(List.of(text.substring(0, colon).split(","))), value);
  }
}
