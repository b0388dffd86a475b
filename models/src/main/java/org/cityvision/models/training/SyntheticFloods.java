package org.cityvision.models.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.cityvision.datasets.augment.FloodSynth;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * Street-flood training images made from the training split's street scenes ({@link FloodSpec},
 * {@link FloodSynth}). Each is a JPEG in a working folder, labelled {@code flooding}, tagged with
 * the source {@link #SOURCE} and an id that names the scene it was made from, so that
 * leave-one-source-out never trains a fold on floods made from the source it holds out, and never
 * scores the synthetic images as a site.
 *
 * <p>Only training images are flooded and the floods only join the training split: validation, test
 * and held-out scores are on real photos.
 */
final class SyntheticFloods {
  static final String SOURCE = "synthetic_flood";

  static final String LABEL = "flooding";

  static final String BASE_LABEL = "normal";

  private static final String ID_PREFIX = "synthetic-flood:";

  private static final int JPEG_QUALITY = 90;

  private SyntheticFloods() {}

  /**
   * Floods a share of {@code train}'s {@code normal} images from the spec's sources into {@code
   * dir}; the same seed and images give the same files and ids.
   */
  static List<Sample> make(List<Sample> train, FloodSpec spec, long seed, Path dir)
      throws ModelRunException {
    List<Sample> out = new ArrayList<>();
    if (spec.isOff()) {
      return out;
    }
    FloodSynth synth = new FloodSynth();
    for (Sample s : train) {
      if (!BASE_LABEL.equals(s.label()) || !spec.covers(s.source())) {
        continue;
      }
      Random random = new Random(seed * 1_000_003L + s.id().hashCode());
      if (random.nextDouble() >= spec.fraction()) {
        continue;
      }
      String id = ID_PREFIX + s.source() + ":" + s.id();
      Path file =
          dir.resolve(
              String.format(Locale.ROOT, "%05d-%s", out.size(), s.file().getFileName().toString())
                  + ".jpg");
      Mat image = Imgcodecs.imdecode(new MatOfByte(read(s)), Imgcodecs.IMREAD_COLOR);
      if (image.empty()) {
        throw new ModelRunException("cannot decode " + s.file() + " to flood it");
      }
      Mat flooded = synth.flood(image, random);
      MatOfByte jpeg = new MatOfByte();
      try {
        Imgcodecs.imencode(
            ".jpg", flooded, jpeg, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, JPEG_QUALITY));
        Files.write(file, jpeg.toArray());
      } catch (IOException e) {
        throw new ModelRunException("cannot write " + file + ": " + e.getMessage(), e);
      } finally {
        image.release();
        flooded.release();
        jpeg.release();
      }
      out.add(new Sample(id, file, LABEL, SOURCE, id));
    }
    return out;
  }

  /** The source of the scene a synthetic flood was made from; null for any other image. */
  static String baseSource(Sample s) {
    if (!SOURCE.equals(s.source()) || !s.id().startsWith(ID_PREFIX)) {
      return null;
    }
    String rest = s.id().substring(ID_PREFIX.length());
    int colon = rest.indexOf(':');
    return colon < 0 ? null : rest.substring(0, colon);
  }

  /** Whether {@code s} is an image of {@code source} or a flood made from one. */
  static boolean comesFrom(Sample s, String source) {
    return source.equals(s.source()) || source.equals(baseSource(s));
  }

  private static byte[] read(Sample s) throws ModelRunException {
    try {
      return s.read();
    } catch (IOException e) {
      throw new ModelRunException("cannot read " + s.file() + ": " + e.getMessage(), e);
    }
  }
}
