package org.cityvision.models.evaluation;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.InputSpec;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.training.TrainingProgress;

/**
 * Runs a {@link Classifier} over labelled images exactly as serving does (same decoder,
 * reduced-scale decoding, preprocessing, batching), so that measured quality is served quality.
 *
 * <p>Stateless and thread-safe; the classifier stays the caller's.
 */
public final class Evaluator {
  /** In-flight images: enough to fill the workers' batches, well under the classifier's queue. */
  private static final int WINDOW = 32;

  private Evaluator() {}

  public static Predictions predict(
      Classifier classifier, List<Sample> samples, TrainingProgress progress)
      throws ModelRunException {
    return predictBytes(classifier, samples, null, progress);
  }

  /**
   * As {@link #predict}, classifying {@code images} (one per sample) instead of the samples' files.
   */
  public static Predictions predictBytes(
      Classifier classifier, List<Sample> samples, List<byte[]> images, TrainingProgress progress)
      throws ModelRunException {
    List<String> labels = classifier.spec().labels();
    int n = samples.size();
    int[] truth = new int[n];
    float[][] probabilities = new float[n][];
    Deque<Pending> pending = new ArrayDeque<>();
    InputSpec input = classifier.spec().input();
    int window = Math.min(WINDOW, Math.max(1, classifier.options().queueCapacity() / 2));
    for (int i = 0; i < n; i++) {
      Sample s = samples.get(i);
      truth[i] = labels.indexOf(s.label());
      if (truth[i] < 0) {
        throw new ModelRunException(
            "image "
                + s.id()
                + " has label '"
                + s.label()
                + "', which model "
                + classifier.spec().name()
                + " does not know; its labels are "
                + labels);
      }
      float[] tensor;
      try (DecodedImage image =
          classifier
              .decoder()
              .decode(images == null ? s.read() : images.get(i), input.width(), input.height())) {
        tensor = classifier.preprocessor().toTensor(image);
      } catch (IOException | VisionException e) {
        throw new ModelRunException("cannot read image " + s.file() + ": " + e.getMessage(), e);
      }
      while (pending.size() >= window) {
        complete(pending.removeFirst(), probabilities);
      }
      try {
        pending.addLast(new Pending(i, classifier.submit(tensor)));
      } catch (VisionException e) {
        throw new ModelRunException(
            "classifier refused image " + s.id() + ": " + e.getMessage(), e);
      }
      if (i % 16 == 0) {
        progress.advance(i, "");
      }
    }
    while (!pending.isEmpty()) {
      complete(pending.removeFirst(), probabilities);
    }
    progress.advance(n, "");
    return new Predictions(labels, samples, truth, probabilities);
  }

  private record Pending(int index, CompletableFuture<Classification> result) {}

  private static void complete(Pending p, float[][] out) throws ModelRunException {
    try {
      List<Double> probabilities = p.result().get().probabilities();
      float[] row = new float[probabilities.size()];
      for (int k = 0; k < row.length; k++) {
        row[k] = probabilities.get(k).floatValue();
      }
      out[p.index()] = row;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelRunException("interrupted while evaluating", e);
    } catch (ExecutionException e) {
      throw new ModelRunException("inference failed: " + e.getCause().getMessage(), e.getCause());
    }
  }
}
