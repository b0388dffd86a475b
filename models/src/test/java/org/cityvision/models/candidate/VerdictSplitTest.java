package org.cityvision.models.candidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class VerdictSplitTest {
  @Test
  void theSameFramesFallInTheHoldoutWhateverTheirOrder() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      ids.add("2026-12-06/cam-" + (i % 7) + "/" + i);
    }
    Set<String> first = new TreeSet<>();
    ids.stream().filter(VerdictSplit::isHoldout).forEach(first::add);
    Collections.shuffle(ids, new Random(3));
    Set<String> again = new TreeSet<>();
    ids.stream().filter(VerdictSplit::isHoldout).forEach(again::add);

    assertEquals(first, again);
  }

  @Test
  void aboutAFifthOfFramesAreHeldOut() {
    int held = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      held += VerdictSplit.isHoldout("frame-" + i) ? 1 : 0;
    }
    double share = (double) held / n;
    assertTrue(share > 0.19 && share < 0.21, "holdout share " + share);
  }

  @Test
  void innerValidationIsIndependentOfTheHoldout() {
    int both = 0;
    int inner = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      boolean h = VerdictSplit.isHoldout("f" + i);
      boolean v = VerdictSplit.isInnerValidation("f" + i);
      inner += v ? 1 : 0;
      both += h && v ? 1 : 0;
    }
    // Independent hashes: about 20% of the inner part is also holdout, not all or none of it.
    double overlap = (double) both / inner;
    assertTrue(overlap > 0.17 && overlap < 0.23, "overlap " + overlap);
  }
}
