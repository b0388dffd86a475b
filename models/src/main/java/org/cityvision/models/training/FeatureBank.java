package org.cityvision.models.training;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.datasets.augment.Augmenter;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;

/**
 * Backbone features of every image of a dataset: the serving view (row 0 of each image) and {@code
 * views} augmented views (rows 1..views), {@code featureSize} floats each. The head of phase 1,
 * every leave-one-source-out fold and the replay set are all trained or written from these rows, so
 * each image goes through the backbone {@code 1 + views} times in a whole run.
 *
 * <p>Computing them is most of a head-only run's time; with a cache folder the bank is stored there
 * under a key made of everything that determines it (backbone file, input size, views,
 * augmentation, seed, the images' ids and sizes) and read back by the next run with the same key.
 *
 * <p>Immutable after construction; the arrays handed out are copies.
 */
final class FeatureBank {
  private final int featureSize;
  private final int rowsPerImage;
  private final float[] rows;
  private final int[] labels;

  private FeatureBank(int featureSize, int rowsPerImage, float[] rows, int[] labels) {
    this.featureSize = featureSize;
    this.rowsPerImage = rowsPerImage;
    this.rows = rows;
    this.labels = labels;
  }

  /** A bank over already computed rows: {@code images × (1 + views) × featureSize} floats. */
  static FeatureBank of(int featureSize, int views, float[] rows, int[] labels) {
    if (rows.length != (long) labels.length * (1 + views) * featureSize) {
      throw new IllegalArgumentException(
          rows.length
              + " floats do not hold "
              + labels.length
              + " images of "
              + (1 + views)
              + " rows of "
              + featureSize);
    }
    return new FeatureBank(featureSize, 1 + views, rows, labels.clone());
  }

  /** Computes (or reads from {@code cacheDir}, when given) the bank of {@code samples}. */
  static FeatureBank compute(
      FineTuning tuning,
      List<Sample> samples,
      List<String> labels,
      int views,
      int width,
      int height,
      ImageDecoder decoder,
      Preprocessor preprocessor,
      Augmenter augmenter,
      ViewLoader.Compositing compositing,
      String augmentKey,
      long seed,
      Path backboneFile,
      Path cacheDir,
      TrainingProgress progress)
      throws ModelRunException {
    int featureSize = 1280;
    int[] y = new int[samples.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = labels.indexOf(samples.get(i).label());
    }
    Path cached = null;
    if (cacheDir != null) {
      cached =
          cacheDir.resolve(
              "features-"
                  + key(samples, views, width, height, augmentKey, seed, backboneFile)
                  + ".f32");
      if (Files.isRegularFile(cached)) {
        float[] rows = read(cached, samples.size() * (1 + views) * featureSize);
        if (rows != null) {
          progress.note(
              "features of "
                  + samples.size()
                  + " images x "
                  + (1 + views)
                  + " views read from "
                  + cached);
          return of(featureSize, views, rows, y);
        }
      }
    }
    List<ViewLoader.Job> jobs = new ArrayList<>(samples.size());
    for (int i = 0; i < samples.size(); i++) {
      jobs.add(new ViewLoader.Job(samples.get(i), y[i], true, views));
    }
    int total = samples.size() * (1 + views);
    float[] rows = new float[total * featureSize];
    progress.stage(
        "features (" + samples.size() + " images, " + (1 + views) + " views each)", total);
    int done = 0;
    try (ViewLoader loader =
        new ViewLoader(
            jobs,
            FineTuning.maxForwardBatch(),
            decoder,
            preprocessor,
            augmenter,
            compositing,
            seed)) {
      for (ViewLoader.Batch b; (b = loader.next()) != null; ) {
        float[] f = tuning.features(b.data(), b.size(), width, height);
        System.arraycopy(f, 0, rows, done * featureSize, b.size() * featureSize);
        done += b.size();
        progress.advance(done, "");
      }
    }
    if (cached != null) {
      write(cached, rows);
    }
    return of(featureSize, views, rows, y);
  }

  int featureSize() {
    return featureSize;
  }

  int views() {
    return rowsPerImage - 1;
  }

  int images() {
    return labels.length;
  }

  int label(int image) {
    return labels[image];
  }

  /** The serving view's features of one image (a copy). */
  float[] serving(int image) {
    float[] out = new float[featureSize];
    System.arraycopy(rows, image * rowsPerImage * featureSize, out, 0, featureSize);
    return out;
  }

  /**
   * Rows of the given images, their labels, and for each row the index of its image in {@code
   * images}.
   */
  record Rows(float[] x, int[] y, int[] image) {}

  /**
   * The rows of {@code images}: with {@code augmented}, the serving view and every augmented view
   * of each; without, the serving view only.
   */
  Rows rows(int[] images, boolean augmented) {
    int per = augmented ? rowsPerImage : 1;
    float[] x = new float[images.length * per * featureSize];
    int[] y = new int[images.length * per];
    int[] from = new int[images.length * per];
    for (int i = 0; i < images.length; i++) {
      System.arraycopy(
          rows,
          images[i] * rowsPerImage * featureSize,
          x,
          i * per * featureSize,
          per * featureSize);
      for (int v = 0; v < per; v++) {
        y[i * per + v] = labels[images[i]];
        from[i * per + v] = i;
      }
    }
    return new Rows(x, y, from);
  }

  private static String key(
      List<Sample> samples,
      int views,
      int width,
      int height,
      String augmentKey,
      long seed,
      Path backboneFile)
      throws ModelRunException {
    try {
      MessageDigest d = Sha256.newDigest();
      d.update(
          (views
                  + "|"
                  + width
                  + "x"
                  + height
                  + "|"
                  + augmentKey
                  + "|"
                  + seed
                  + "|"
                  + backboneFile.toAbsolutePath().normalize()
                  + "|"
                  + Files.size(backboneFile)
                  + "|"
                  + Files.getLastModifiedTime(backboneFile).toMillis())
              .getBytes(StandardCharsets.UTF_8));
      for (Sample s : samples) {
        d.update((s.id() + "|" + Files.size(s.file()) + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(d.digest(), 0, 10);
    } catch (IOException e) {
      throw new ModelRunException("cannot key the feature cache: " + e.getMessage(), e);
    }
  }

  /** The cached floats, or null when the file does not hold exactly {@code floats} of them. */
  private static float[] read(Path file, int floats) throws ModelRunException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (ch.size() != 4L * floats) {
        return null;
      }
      ByteBuffer buf = ByteBuffer.allocate(4 * floats).order(ByteOrder.LITTLE_ENDIAN);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // fill
      }
      buf.flip();
      float[] out = new float[floats];
      buf.asFloatBuffer().get(out);
      return out;
    } catch (IOException e) {
      throw new ModelRunException("cannot read feature cache " + file + ": " + e.getMessage(), e);
    }
  }

  private static void write(Path file, float[] rows) throws ModelRunException {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      ByteBuffer buf = ByteBuffer.allocate(4 * rows.length).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(rows);
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ModelRunException("cannot write feature cache " + file + ": " + e.getMessage(), e);
    }
  }
}
