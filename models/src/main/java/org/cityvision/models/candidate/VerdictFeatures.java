package org.cityvision.models.candidate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.cityvision.core.image.InputSpec;

/**
 * Verdicts whose images could be read, with the backbone's pooled features of each image's serving
 * view ({@code size × dim} floats) and each label's index in the candidate's labels.
 *
 * <p>Immutable after construction.
 */
final class VerdictFeatures {
  private final List<VerdictExample> verdicts;
  private final float[] x;
  private final int[] y;
  private final int dim;
  private final List<String> failures;
  private final List<String> labels;

  private VerdictFeatures(
      List<VerdictExample> verdicts,
      float[] x,
      int[] y,
      int dim,
      List<String> failures,
      List<String> labels) {
    this.verdicts = List.copyOf(verdicts);
    this.labels = List.copyOf(labels);
    this.x = x;
    this.y = y;
    this.dim = dim;
    this.failures = List.copyOf(failures);
  }

  /** Reads every verdict's image and computes its features with the model's backbone. */
  static VerdictFeatures compute(
      CandidateModel model,
      InputSpec input,
      List<VerdictExample> verdicts,
      List<String> labels,
      CandidateProgress progress,
      BooleanSupplier cancelled)
      throws CandidateException {
    progress.stage("features", verdicts.size());
    List<VerdictExample> usable = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    float[] x = null;
    int dim = 0;
    int done = 0;
    try (VerdictImages images =
        new VerdictImages(verdicts, input, CandidateTraining.forwardBatch())) {
      for (VerdictImages.Batch b; (b = images.next(cancelled, "features")) != null; ) {
        failures.addAll(b.failures());
        if (b.size() > 0) {
          float[] f = model.tuning().features(b.data(), b.size(), input.width(), input.height());
          dim = f.length / b.size();
          if (x == null) {
            x = new float[verdicts.size() * dim];
          }
          System.arraycopy(f, 0, x, usable.size() * dim, f.length);
          for (int i = 0; i < b.size(); i++) {
            usable.add(verdicts.get(b.index()[i]));
          }
        }
        done += b.size() + b.failures().size();
        progress.advance(done);
      }
    }
    int[] y = usable.stream().mapToInt(v -> labels.indexOf(v.label())).toArray();
    float[] kept = x == null ? new float[0] : Arrays.copyOf(x, usable.size() * dim);
    return new VerdictFeatures(usable, kept, y, dim, failures, labels);
  }

  /** The same verdicts' features recomputed with the model's (changed) backbone. */
  VerdictFeatures recomputed(
      CandidateModel model, InputSpec input, CandidateProgress progress, BooleanSupplier cancelled)
      throws CandidateException {
    VerdictFeatures again = compute(model, input, verdicts, labels, progress, cancelled);
    if (again.size() != size()) {
      throw new CandidateException(
          "verdict images changed while the candidate trained: " + again.failures());
    }
    return again;
  }

  /** The verdicts that pass {@code keep}, with their features. */
  VerdictFeatures where(Predicate<VerdictExample> keep) {
    List<VerdictExample> kept = new ArrayList<>();
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < verdicts.size(); i++) {
      if (keep.test(verdicts.get(i))) {
        kept.add(verdicts.get(i));
        rows.add(i);
      }
    }
    float[] kx = new float[rows.size() * dim];
    int[] ky = new int[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(x, rows.get(r) * dim, kx, r * dim, dim);
      ky[r] = y[rows.get(r)];
    }
    return new VerdictFeatures(kept, kx, ky, dim, failures, labels);
  }

  int size() {
    return verdicts.size();
  }

  VerdictExample verdict(int i) {
    return verdicts.get(i);
  }

  List<VerdictExample> usable() {
    return verdicts;
  }

  /** Features, {@code size × dim}; shared, not to be written. */
  float[] x() {
    return x;
  }

  /** Label indices; shared, not to be written. */
  int[] y() {
    return y;
  }

  /** Verdicts whose image could not be read or decoded: frame id and reason. */
  List<String> failures() {
    return failures;
  }
}
