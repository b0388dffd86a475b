package org.cityvision.serving.review;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cityvision.core.review.FlagRecord;

/**
 * {@code GET /v1/flags?order=informative}: the flags whose verdicts teach a model most come first.
 * A flag is more informative the smaller its answer's top-2 margin (the model hesitated between two
 * classes). So that one busy camera or sorting machine, or one class, cannot fill a page, the page
 * is dealt in rounds: each round takes from every source (camera or machine, its most uncertain
 * first) its most uncertain remaining flag, preferring a predicted class not yet taken in that
 * round.
 *
 * <p>Flags stored without a margin are ranked by {@code 2 × score − 1}: the smallest margin their
 * score allows (the second class has at most {@code 1 − score}), so such a flag is never ranked
 * after one it might beat. Stateless.
 */
public final class InformativeOrder {
  private InformativeOrder() {}

  /** The ranking margin of a flag. */
  static double margin(FlagRecord f) {
    return f.margin() != null ? f.margin() : Math.max(0, 2 * f.score() - 1);
  }

  /** The first {@code limit} of {@code flags} in informative order. */
  public static List<FlagRecord> arrange(List<FlagRecord> flags, int limit) {
    Comparator<FlagRecord> byMargin =
        Comparator.comparingDouble(InformativeOrder::margin).thenComparing(FlagRecord::frameId);
    List<FlagRecord> sorted = new ArrayList<>(flags);
    sorted.sort(byMargin);
    Map<String, List<FlagRecord>> bySource = new LinkedHashMap<>();
    for (FlagRecord f : sorted) {
      bySource.computeIfAbsent(f.cameraId(), k -> new ArrayList<>()).add(f);
    }
    // Sources in the order of their most uncertain flag (the map keeps first-seen order of the
    // sorted list).
    List<Deque<FlagRecord>> sources = new ArrayList<>();
    bySource.values().forEach(list -> sources.add(new ArrayDeque<>(list)));
    List<FlagRecord> out = new ArrayList<>();
    while (out.size() < limit && !sources.isEmpty()) {
      Set<String> labelsThisRound = new HashSet<>();
      List<Deque<FlagRecord>> next = new ArrayList<>();
      for (Deque<FlagRecord> source : sources) {
        if (out.size() == limit) {
          break;
        }
        FlagRecord pick = null;
        for (FlagRecord f : source) {
          if (!labelsThisRound.contains(f.label())) {
            pick = f;
            break;
          }
        }
        if (pick == null) {
          pick = source.peekFirst();
        }
        source.remove(pick);
        labelsThisRound.add(pick.label());
        out.add(pick);
        if (!source.isEmpty()) {
          next.add(source);
        }
      }
      sources.clear();
      sources.addAll(next);
    }
    return out;
  }
}
