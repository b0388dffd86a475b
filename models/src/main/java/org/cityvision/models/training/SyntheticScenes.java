package org.cityvision.models.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.BiFunction;
import org.cityvision.datasets.augment.FloodSynth;
import org.cityvision.datasets.augment.PotholeSynth;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * Training images made from the training split's street scenes ({@link SceneSpec}): street floods
 * ({@link FloodSynth}) and potholes ({@link PotholeSynth}). Each is a JPEG in a working folder,
 * labelled with its kind's class, tagged with its kind's source and an id that names the scene it
 * was made from, so that leave-one-source-out never trains a fold on images made from the source it
 * holds out, and never scores the synthetic images as a site.
 *
 * <p>Only training images are used and the results only join the training split: validation, test
 * and held-out scores are on real photos, and the replay set leaves them out.
 */
final class SyntheticScenes {
  /** What is made from a street scene. */
  enum Kind {
    FLOOD("flooding", "synthetic_flood", "floods"),
    POTHOLE("pothole_road_damage", "synthetic_pothole", "potholes");

    final String label;
    final String source;
    final String plural;

    Kind(String label, String source, String plural) {
      this.label = label;
      this.source = source;
      this.plural = plural;
    }

    private String idPrefix() {
      return source.replace('_', '-') + ":";
    }

    private BiFunction<Mat, Random, Mat> synth() {
      return switch (this) {
        case FLOOD -> new FloodSynth()::flood;
        case POTHOLE -> new PotholeSynth()::damage;
      };
    }
  }

  static final String BASE_LABEL = "normal";

  private static final int JPEG_QUALITY = 90;

  private SyntheticScenes() {}

  /**
   * Makes {@code kind} from a share of {@code train}'s {@code normal} images from the spec's
   * sources into {@code dir}; the same seed and images give the same files and ids.
   */
  static List<Sample> make(List<Sample> train, SceneSpec spec, Kind kind, long seed, Path dir)
      throws ModelRunException {
    List<Sample> out = new ArrayList<>();
    if (spec.isOff()) {
      return out;
    }
    BiFunction<Mat, Random, Mat> synth = kind.synth();
    for (Sample s : train) {
      if (!BASE_LABEL.equals(s.label()) || !spec.covers(s.source())) {
        continue;
      }
      Random random = new Random(seed * 1_000_003L + s.id().hashCode() + kind.ordinal() * 7919L);
      if (random.nextDouble() >= spec.fraction()) {
        continue;
      }
      String id = kind.idPrefix() + s.source() + ":" + s.id();
      Path file =
          dir.resolve(
              String.format(
                      Locale.ROOT,
                      "%s-%05d-%s",
                      kind.plural,
                      out.size(),
                      s.file().getFileName().toString())
                  + ".jpg");
      Mat image = Imgcodecs.imdecode(new MatOfByte(read(s)), Imgcodecs.IMREAD_COLOR);
      if (image.empty()) {
        throw new ModelRunException("cannot decode " + s.file() + " to make " + kind.plural);
      }
      Mat made = synth.apply(image, random);
      MatOfByte jpeg = new MatOfByte();
      try {
        Imgcodecs.imencode(
            ".jpg", made, jpeg, new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, JPEG_QUALITY));
        Files.write(file, jpeg.toArray());
      } catch (IOException e) {
        throw new ModelRunException("cannot write " + file + ": " + e.getMessage(), e);
      } finally {
        image.release();
        made.release();
        jpeg.release();
      }
      out.add(new Sample(id, file, kind.label, kind.source, id));
    }
    return out;
  }

  /** Whether {@code s} is a synthetic image of any kind. */
  static boolean isSynthetic(Sample s) {
    for (Kind k : Kind.values()) {
      if (k.source.equals(s.source())) {
        return true;
      }
    }
    return false;
  }

  /** The source of the scene a synthetic image was made from; null for a real photo. */
  static String baseSource(Sample s) {
    for (Kind k : Kind.values()) {
      if (k.source.equals(s.source()) && s.id().startsWith(k.idPrefix())) {
        String rest = s.id().substring(k.idPrefix().length());
        int colon = rest.indexOf(':');
        return colon < 0 ? null : rest.substring(0, colon);
      }
    }
    return null;
  }

  /** Whether {@code s} is an image of {@code source} or one made from such an image. */
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
