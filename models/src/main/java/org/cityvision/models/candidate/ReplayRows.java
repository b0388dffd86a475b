package org.cityvision.models.candidate;

import org.cityvision.core.model.ReplaySet;

/**
 * One split's rows of a replay set as float features and label indices, without earlier candidates'
 * verdict rows (those are replaced by the current verdicts).
 *
 * @param x features, {@code size × featureSize}
 * @param y label indices in the replay set's (the live model's) labels
 * @param rows each row's index in the replay set
 */
record ReplayRows(float[] x, int[] y, int[] rows) {
  static ReplayRows of(ReplaySet replay, ReplaySet.Split split) {
    int dim = replay.featureSize();
    int n = 0;
    for (int i = 0; i < replay.size(); i++) {
      n += keep(replay, i, split) ? 1 : 0;
    }
    float[] x = new float[n * dim];
    int[] y = new int[n];
    int[] rows = new int[n];
    int r = 0;
    for (int i = 0; i < replay.size(); i++) {
      if (keep(replay, i, split)) {
        replay.copyFeatures(i, x, r * dim);
        y[r] = replay.labelIndex(i);
        rows[r++] = i;
      }
    }
    return new ReplayRows(x, y, rows);
  }

  private static boolean keep(ReplaySet replay, int i, ReplaySet.Split split) {
    return replay.split(i) == split && !replay.source(i).equals(CandidateTraining.VERDICT_SOURCE);
  }

  int size() {
    return y.length;
  }

  int row(int i) {
    return rows[i];
  }
}
