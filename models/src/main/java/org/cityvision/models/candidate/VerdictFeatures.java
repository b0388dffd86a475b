package org.cityvision.models.candidate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.cityvision.core.VisionException;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.model.PooledFeatures;

/**
 * Verdicts whose features could be had, with the backbone's pooled features of each image's serving
 * view (kept when the frame was classified, or computed from its image) ({@code size × dim} floats)
 * and each label's index in the candidate's labels.
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
  private final int fromStore;

  private VerdictFeatures(
      List<VerdictExample> verdicts,
      float[] x,
      int[] y,
      int dim,
      List<String> failures,
      List<String> labels,
      int fromStore) {
    this.fromStore = fromStore;
    this.verdicts = List.copyOf(verdicts);
    this.labels = List.copyOf(labels);
    this.x = x;
    this.y = y;
    this.dim = dim;
    this.failures = List.copyOf(failures);
  }

  /** Stored features read at once (the MinIO client runs 5 requests per host at a time). */
  private static final int STORED_READERS = 8;

  /** Reads every verdict's image and computes its features with the model's backbone. */
  static VerdictFeatures compute(
      CandidateModel model,
      InputSpec input,
      List<VerdictExample> verdicts,
      List<String> labels,
      CandidateProgress progress,
      BooleanSupplier cancelled)
      throws CandidateException {
    return compute(model, input, verdicts, labels, null, 0, progress, cancelled);
  }

  /**
   * Every verdict's features: the ones kept when its frame was classified where they come from a
   * backbone with digest {@code storedBackbone} (stage {@code stored features}), computed from the
   * image by the model's backbone for the rest (stage {@code features}).
   *
   * @param storedBackbone the {@link org.cityvision.core.model.BackboneDigest} stored features must
   *     carry to be used, or {@code null} to compute every verdict's features from its image
   * @param featureSize the length stored features must have
   */
  static VerdictFeatures compute(
      CandidateModel model,
      InputSpec input,
      List<VerdictExample> verdicts,
      List<String> labels,
      String storedBackbone,
      int featureSize,
      CandidateProgress progress,
      BooleanSupplier cancelled)
      throws CandidateException {
    float[][] rows = new float[verdicts.size()][];
    int fromStore =
        storedBackbone == null
            ? 0
            : readStored(verdicts, storedBackbone, featureSize, rows, progress, cancelled);
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] == null) {
        missing.add(i);
      }
    }
    progress.stage("features", missing.size());
    List<String> failures = new ArrayList<>();
    int done = 0;
    try (VerdictImages images =
        new VerdictImages(
            missing.stream().map(verdicts::get).toList(),
            input,
            CandidateTraining.forwardBatch())) {
      for (VerdictImages.Batch b; (b = images.next(cancelled, "features")) != null; ) {
        failures.addAll(b.failures());
        if (b.size() > 0) {
          float[] f = model.tuning().features(b.data(), b.size(), input.width(), input.height());
          int dim = f.length / b.size();
          for (int i = 0; i < b.size(); i++) {
            rows[missing.get(b.index()[i])] = Arrays.copyOfRange(f, i * dim, (i + 1) * dim);
          }
        }
        done += b.size() + b.failures().size();
        progress.advance(done);
      }
    }
    progress.featureSources(fromStore, done - failures.size());
    List<VerdictExample> usable = new ArrayList<>();
    int dim = 0;
    for (float[] row : rows) {
      if (row != null) {
        dim = row.length;
        break;
      }
    }
    float[] x = new float[Math.multiplyExact(verdicts.size(), dim)];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] != null) {
        System.arraycopy(rows[i], 0, x, usable.size() * dim, dim);
        usable.add(verdicts.get(i));
      }
    }
    int[] y = usable.stream().mapToInt(v -> labels.indexOf(v.label())).toArray();
    return new VerdictFeatures(
        usable, Arrays.copyOf(x, usable.size() * dim), y, dim, failures, labels, fromStore);
  }

  /**
   * Reads the verdicts' stored features, {@value #STORED_READERS} at a time, into {@code rows}
   * where they match the backbone; a verdict without usable ones (none kept, another backbone, an
   * unreadable result) keeps a {@code null} row.
   *
   * @return how many rows were filled
   */
  private static int readStored(
      List<VerdictExample> verdicts,
      String backbone,
      int featureSize,
      float[][] rows,
      CandidateProgress progress,
      BooleanSupplier cancelled)
      throws CandidateException {
    progress.stage("stored features", verdicts.size());
    ExecutorService readers =
        Executors.newFixedThreadPool(
            STORED_READERS,
            r -> {
              Thread t = new Thread(r, "candidate-stored-features");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<float[]>> reads = new ArrayList<>(verdicts.size());
      for (VerdictExample v : verdicts) {
        reads.add(readers.submit(() -> storedRow(v, backbone, featureSize)));
      }
      int filled = 0;
      for (int i = 0; i < reads.size(); i++) {
        if (cancelled.getAsBoolean()) {
          throw new CandidateCancelledException("stored features");
        }
        rows[i] = reads.get(i).get();
        filled += rows[i] == null ? 0 : 1;
        progress.advance(i + 1);
      }
      return filled;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CandidateCancelledException("stored features");
    } catch (ExecutionException e) {
      throw new CandidateException(
          "cannot read stored features: " + e.getCause().getMessage(), e.getCause());
    } finally {
      readers.shutdownNow();
    }
  }

  /** A verdict's stored features if they come from {@code backbone}, else {@code null}. */
  private static float[] storedRow(VerdictExample v, String backbone, int featureSize) {
    try {
      return v.features()
          .read()
          .filter(f -> f.matches(backbone, featureSize))
          .map(PooledFeatures::values)
          .orElse(null);
    } catch (IOException | VisionException | RuntimeException e) {
      // The image is the fallback: a result that cannot be read costs a forward pass, not the
      // candidate.
      return null;
    }
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
    return new VerdictFeatures(kept, kx, ky, dim, failures, labels, 0);
  }

  int size() {
    return verdicts.size();
  }

  /**
   * How many of these verdicts' features were read from the store rather than computed (0 for a
   * part made with {@link #where}).
   */
  int fromStore() {
    return fromStore;
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
