package org.cityvision.models.candidate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * A small live package for candidate tests: the EdgeTPU backbone ({@link TestModels#backbone()}), a
 * head trained on generated pictures of three colour classes, and a replay set of those pictures'
 * features (train, val and test rows). Generated images, so no dataset is needed.
 */
final class TinyModels {
  static final List<String> LABELS = List.of("blue", "green", "red");
  static final int INPUT = 128;

  /** BGR background colour per class; {@code white} is a label the live model does not have. */
  private static final Map<String, Scalar> COLOURS =
      Map.of(
          "blue",
          new Scalar(200, 60, 40),
          "green",
          new Scalar(50, 180, 60),
          "red",
          new Scalar(40, 50, 200),
          "white",
          new Scalar(235, 235, 235),
          "normal",
          new Scalar(120, 120, 120));

  private TinyModels() {}

  /**
   * JPEG bytes of a picture of class {@code label}: its colour, jittered, with a few clutter
   * shapes.
   */
  static byte[] image(String label, long seed) {
    OpenCvRuntime.load();
    Random random = new Random(seed);
    Scalar base = COLOURS.get(label);
    Scalar colour =
        new Scalar(
            jitter(base.val[0], random), jitter(base.val[1], random), jitter(base.val[2], random));
    Mat mat = new Mat(120, 160, CvType.CV_8UC3, colour);
    try {
      for (int s = 0; s < 3; s++) {
        Point a = new Point(random.nextInt(160), random.nextInt(120));
        Point b = new Point(a.x + 10 + random.nextInt(30), a.y + 10 + random.nextInt(30));
        Imgproc.rectangle(
            mat,
            a,
            b,
            new Scalar(random.nextInt(256), random.nextInt(256), random.nextInt(256)),
            -1);
      }
      return TestImages.encode(mat, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90);
    } finally {
      mat.release();
    }
  }

  private static double jitter(double v, Random random) {
    return Math.max(0, Math.min(255, v + random.nextInt(41) - 20));
  }

  /** Verdicts: {@code count} pictures of {@code label}, frame ids {@code prefix-<n>}. */
  static List<VerdictExample> verdicts(String prefix, String label, int count, long seed) {
    List<VerdictExample> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(VerdictExample.of(prefix + "-" + i, label, image(label, seed * 1000 + i)));
    }
    return out;
  }

  /**
   * Writes the live package (version 1.0.0, labels {@link #LABELS}, uncertain below 0.5) into
   * {@code dir}: 24 train, 8 val and 8 test pictures per class; the head is trained on the train
   * rows.
   */
  static ModelPackage live(Path dir) throws Exception {
    return live(dir, LABELS, new Thresholds(0.5, Map.of()));
  }

  /** A live package with other labels (colours of this class) and thresholds. */
  static ModelPackage live(Path dir, List<String> labels, Thresholds thresholds) throws Exception {
    TorchRuntime.start(2);
    ModelPackage untrained =
        TestModels.untrainedPackage(dir.resolve("untrained"), "tiny", labels, INPUT);
    List<VerdictExample> pictures = new ArrayList<>();
    List<ReplaySet.Split> splits = new ArrayList<>();
    for (String label : labels) {
      List<VerdictExample> some =
          verdicts("replay-" + label, label, 40, 900 + labels.indexOf(label));
      for (int i = 0; i < some.size(); i++) {
        pictures.add(some.get(i));
        splits.add(
            i < 24 ? ReplaySet.Split.TRAIN : i < 32 ? ReplaySet.Split.VAL : ReplaySet.Split.TEST);
      }
    }
    try (CandidateModel model = CandidateModel.open(untrained, labels.size())) {
      VerdictFeatures f =
          VerdictFeatures.compute(
              model,
              untrained.spec().input(),
              pictures,
              labels,
              CandidateProgress.NONE,
              () -> false);
      int dim = f.x().length / f.size();
      VerdictFeatures train =
          f.where(v -> splits.get(pictures.indexOf(v)) == ReplaySet.Split.TRAIN);
      LinearHead head =
          new LinearHead(
              labels.size(),
              dim,
              new float[labels.size() * dim],
              new float[labels.size()],
              labels.size());
      float[] w = new float[train.size()];
      Arrays.fill(w, 1f);
      head.train(train.x(), train.y(), w, 40, 1e-3, 1e-4, 1, () -> false, CandidateProgress.NONE);
      model.tuning().setHead(head.weight(), head.bias());
      ModelSpec spec =
          TestModels.spec("tiny", labels, INPUT).withVersion("1.0.0").withThresholds(thresholds);
      ModelPackage live = model.save(dir.resolve("live"), spec);
      ReplaySet.Builder replay = ReplaySet.builder(labels, dim);
      for (int i = 0; i < f.size(); i++) {
        replay.add(
            Arrays.copyOfRange(f.x(), i * dim, (i + 1) * dim),
            f.verdict(i).label(),
            splits.get(pictures.indexOf(f.verdict(i))),
            "generated");
      }
      replay.build().write(live.dir().resolve(ReplaySet.FILE));
      return ModelPackage.read(live.dir());
    }
  }
}
