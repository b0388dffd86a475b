package org.cityvision.models.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line text progress bar ({@code \r[##### ] 45% stage status}) plus a line per epoch.
 *
 * <p>Not thread-safe: one training thread reports to it.
 */
public final class ProgressBar implements TrainingProgress {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private String stage = "";
  private long total = 1;
  private long startedAt = System.nanoTime();
  private boolean dirty;

  public ProgressBar(PrintStream out) {
    this.out = out;
  }

  @Override
  public void stage(String name, long newTotal) {
    endLine();
    stage = name;
    total = Math.max(1, newTotal);
    startedAt = System.nanoTime();
    advance(0, "");
  }

  @Override
  public void advance(long done, String status) {
    double fraction = Math.min(1.0, (double) done / total);
    int filled = (int) Math.round(fraction * WIDTH);
    double elapsed = (System.nanoTime() - startedAt) / 1e9;
    String eta =
        done > 0 && fraction < 1
            ? String.format(Locale.ROOT, " eta %ds", Math.round(elapsed / fraction - elapsed))
            : "";
    out.print(
        String.format(
            Locale.ROOT,
            "\r[%s%s] %3d%% %s %s%s   ",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            Math.round(fraction * 100),
            stage,
            status,
            eta));
    out.flush();
    dirty = true;
  }

  @Override
  public void epoch(EpochRecord r) {
    endLine();
    out.println(
        String.format(
            Locale.ROOT,
            "%s epoch %d: train loss %.4f, val loss %.4f, val accuracy %.4f, val macro-F1 %.4f, %.0fs%s",
            r.phase(),
            r.epoch(),
            r.trainLoss(),
            r.valLoss(),
            r.valAccuracy(),
            r.valMacroF1(),
            r.seconds(),
            r.best() ? " (best)" : ""));
    out.flush();
  }

  @Override
  public void note(String message) {
    endLine();
    out.println(message);
    out.flush();
  }

  private void endLine() {
    if (dirty) {
      out.println();
      dirty = false;
    }
  }
}
