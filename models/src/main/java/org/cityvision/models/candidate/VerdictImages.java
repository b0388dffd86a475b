package org.cityvision.models.candidate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.cityvision.core.VisionException;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.image.Preprocessor;

/**
 * Reads, decodes and preprocesses verdict images into serving-view tensors (as {@code Classifier}
 * sees them) in batches, one batch ahead on a background thread so that image work overlaps the
 * backbone's.
 *
 * <p>A verdict whose image cannot be read or decoded is skipped and reported, never fatal: one bad
 * frame in the store must not block a candidate.
 *
 * <p>Single consumer; not thread-safe. <b>Must be closed</b>: closing stops the thread.
 */
final class VerdictImages implements AutoCloseable {
  /** {@code size} tensors in {@code data}, from verdicts {@code index[0..size)} of the list. */
  record Batch(float[] data, int[] index, int size, List<String> failures) {}

  private final List<VerdictExample> verdicts;
  private final int batchSize;
  private final InputSpec input;
  private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
  private final Preprocessor preprocessor;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "candidate-images");
            t.setDaemon(true);
            return t;
          });
  private int nextFrom;
  private Future<Batch> pending;

  VerdictImages(List<VerdictExample> verdicts, InputSpec input, int batchSize) {
    OpenCvRuntime.load();
    this.verdicts = List.copyOf(verdicts);
    this.batchSize = batchSize;
    this.input = input;
    this.preprocessor = new Preprocessor(input);
    prefetch();
  }

  /** The next batch, or null when every verdict has been read. */
  Batch next(BooleanSupplier cancelled, String stage) throws CandidateException {
    if (cancelled.getAsBoolean()) {
      throw new CandidateCancelledException(stage);
    }
    if (pending == null) {
      return null;
    }
    try {
      Batch b = pending.get();
      prefetch();
      return b;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CandidateCancelledException(stage);
    } catch (ExecutionException e) {
      throw new CandidateException(
          "cannot prepare verdict images: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private void prefetch() {
    if (nextFrom >= verdicts.size()) {
      pending = null;
      return;
    }
    int from = nextFrom;
    int to = Math.min(verdicts.size(), from + batchSize);
    nextFrom = to;
    pending = thread.submit(() -> read(from, to));
  }

  private Batch read(int from, int to) {
    int plane = input.tensorSize();
    float[] data = new float[(to - from) * plane];
    int[] index = new int[to - from];
    List<String> failures = new ArrayList<>();
    int size = 0;
    for (int i = from; i < to; i++) {
      VerdictExample v = verdicts.get(i);
      try (DecodedImage image = decoder.decode(v.image().read(), input.width(), input.height())) {
        preprocessor.toTensor(image.mat(), data, size * plane);
        index[size++] = i;
      } catch (IOException | VisionException | RuntimeException e) {
        failures.add(v.frameId() + ": " + e.getMessage());
      }
    }
    return new Batch(data, index, size, failures);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
