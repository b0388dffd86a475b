package org.cityvision.models.candidate;

/**
 * The head's training rows: replay rows and verdict rows, each part class-balanced ({@code n /
 * (classes present × n_class)}), the verdicts' total weight scaled to {@code share} of the replay
 * rows' total.
 */
record TrainingRows(float[] x, int[] y, float[] w) {
  static TrainingRows of(ReplayRows replay, VerdictFeatures verdicts, double share, int classes) {
    int nr = replay.size();
    int nv = verdicts.size();
    int dim = nr > 0 ? replay.x().length / nr : (nv > 0 ? verdicts.x().length / nv : 0);
    float[] x = new float[(nr + nv) * dim];
    int[] y = new int[nr + nv];
    float[] w = new float[nr + nv];
    System.arraycopy(replay.x(), 0, x, 0, nr * dim);
    System.arraycopy(verdicts.x(), 0, x, nr * dim, nv * dim);
    System.arraycopy(replay.y(), 0, y, 0, nr);
    System.arraycopy(verdicts.y(), 0, y, nr, nv);
    double[] replayWeight = balanced(replay.y(), classes);
    double[] verdictWeight = balanced(verdicts.y(), classes);
    // Balanced weights average 1 per row, so the replay part weighs nr and the verdicts nv before
    // scaling.
    double scale = nv == 0 ? 0 : share * nr / nv;
    for (int i = 0; i < nr; i++) {
      w[i] = (float) replayWeight[y[i]];
    }
    for (int i = 0; i < nv; i++) {
      w[nr + i] = (float) (verdictWeight[y[nr + i]] * scale);
    }
    return new TrainingRows(x, y, w);
  }

  private static double[] balanced(int[] y, int classes) {
    int[] counts = new int[classes];
    for (int v : y) {
      counts[v]++;
    }
    int present = 0;
    for (int c : counts) {
      present += c > 0 ? 1 : 0;
    }
    double[] w = new double[classes];
    for (int k = 0; k < classes; k++) {
      w[k] = counts[k] == 0 ? 0 : (double) y.length / (present * counts[k]);
    }
    return w;
  }
}
