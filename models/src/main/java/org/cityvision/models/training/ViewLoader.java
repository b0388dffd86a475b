package org.cityvision.models.training;

import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.VisionException;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.datasets.augment.Augmenter;
import org.cityvision.datasets.augment.Compositor;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;
import org.opencv.core.Mat;

/**
 * Decodes, augments and preprocesses training views on a background thread, a few batches ahead of
 * the training thread, so that image work overlaps with libtorch's.
 *
 * <p>Each job is one image with a number of views: view 0 is the serving view (decoded at reduced
 * scale and squashed, as {@code Classifier} does), views 1.. are augmented from the full-size
 * decode. The views of one job are consecutive; a view's randomness depends only on the seed, the
 * job's position and the view number, so runs repeat.
 *
 * <p>Single consumer. <b>Must be closed</b>: closing stops the thread.
 */
final class ViewLoader implements AutoCloseable {
  /** A batch of views: {@code size} CHW tensors in {@code data} and their class indices. */
  record Batch(float[] data, int[] labels, int size) {}

  /** One image and how many views of it: {@code serving} adds view 0. */
  record Job(Sample sample, int label, boolean serving, int augmented) {}

  private static final Batch END = new Batch(new float[0], new int[0], 0);

  /**
   * Compositing of augmented views: with {@code probability}, an augmented view of an image from
   * one of {@code sources} starts from its item moved onto a new background.
   */
  record Compositing(Compositor compositor, double probability, Set<String> sources) {
    static final Compositing NONE = new Compositing(null, 0, Set.of());

    boolean applies(Sample s, Random random) {
      return compositor != null
          && sources.contains(s.source())
          && random.nextDouble() < probability;
    }
  }

  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4);
  private final Thread thread;
  private volatile boolean open = true;

  ViewLoader(
      List<Job> jobs,
      int batchSize,
      ImageDecoder decoder,
      Preprocessor preprocessor,
      Augmenter augmenter,
      long seed) {
    this(jobs, batchSize, decoder, preprocessor, augmenter, Compositing.NONE, seed);
  }

  ViewLoader(
      List<Job> jobs,
      int batchSize,
      ImageDecoder decoder,
      Preprocessor preprocessor,
      Augmenter augmenter,
      Compositing compositing,
      long seed) {
    InputSpec input = preprocessor.spec();
    int size = input.tensorSize();
    thread =
        new Thread(
            () -> {
              Filling batch = new Filling(batchSize, size);
              try {
                for (int j = 0; j < jobs.size() && open; j++) {
                  Job job = jobs.get(j);
                  byte[] bytes = job.sample().read();
                  if (job.serving()) {
                    try (DecodedImage image =
                        decoder.decode(bytes, input.width(), input.height())) {
                      preprocessor.toTensor(image.mat(), batch.data, batch.offset());
                    }
                    batch.added(job.label());
                  }
                  if (job.augmented() > 0) {
                    try (DecodedImage image = decoder.decode(bytes)) {
                      for (int v = 1; v <= job.augmented(); v++) {
                        Random random = new Random(seed * 1_000_003L + j * 1_009L + v);
                        Mat view;
                        if (compositing.applies(job.sample(), random)) {
                          Mat composed = compositing.compositor().composite(image.mat(), random);
                          try {
                            view = augmenter.view(composed, random);
                          } finally {
                            composed.release();
                          }
                        } else {
                          view = augmenter.view(image.mat(), random);
                        }
                        try {
                          preprocessor.toTensor(view, batch.data, batch.offset());
                        } finally {
                          view.release();
                        }
                        batch.added(job.label());
                      }
                    }
                  }
                }
                batch.flush();
                put(END);
              } catch (IOException | VisionException | RuntimeException e) {
                putQuietly(
                    new ModelRunException("cannot prepare training views: " + e.getMessage(), e));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "view-loader");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The batch being filled on the loader thread; a full one goes to the queue and a new one starts.
   */
  private final class Filling {
    private final int batchSize;
    private final int size;
    float[] data;
    private int[] labels;
    private int filled;

    Filling(int batchSize, int size) {
      this.batchSize = batchSize;
      this.size = size;
      this.data = new float[batchSize * size];
      this.labels = new int[batchSize];
    }

    /** Where the next view's tensor goes in {@link #data}. */
    int offset() {
      return filled * size;
    }

    /** The view just written at {@link #offset()} has class {@code label}. */
    void added(int label) throws InterruptedException {
      labels[filled++] = label;
      if (filled == batchSize) {
        flush();
      }
    }

    void flush() throws InterruptedException {
      if (filled > 0) {
        put(new Batch(data, labels, filled));
        data = new float[batchSize * size];
        labels = new int[batchSize];
        filled = 0;
      }
    }
  }

  /** The next batch, or null when all jobs are done. */
  Batch next() throws ModelRunException {
    try {
      Object item = queue.take();
      if (item instanceof ModelRunException e) {
        throw e;
      }
      Batch batch = (Batch) item;
      return batch == END ? null : batch;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelRunException("interrupted while waiting for training views", e);
    }
  }

  private void put(Object item) throws InterruptedException {
    while (open) {
      if (queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  private void putQuietly(Object item) {
    try {
      put(item);
    } catch (InterruptedException ignored) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    open = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
