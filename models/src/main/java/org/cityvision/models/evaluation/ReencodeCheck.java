package org.cityvision.models.evaluation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.training.TrainingProgress;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * A shortcut diagnostic for a class whose images went through their own processing chain
 * (TrashNet's {@code trash}: rebuilt from a copy with width and height swapped, resized back and
 * re-encoded). The other classes' images are put through the same kind of chain; if the model had
 * learnt the chain's traces, many would turn into that class.
 *
 * <p>Stateless and thread-safe; the classifier stays the caller's.
 */
public final class ReencodeCheck {
  /** JPEG quality of the re-encoding; the original chain's is unknown, this is a common default. */
  public static final int QUALITY = 75;

  private ReencodeCheck() {}

  public static ObjectNode run(
      Classifier classifier,
      List<Sample> samples,
      String label,
      Predictions before,
      TrainingProgress progress)
      throws ModelRunException {
    OpenCvRuntime.load();
    int k = classifier.spec().labels().indexOf(label);
    if (k < 0) {
      throw new ModelRunException(
          "model " + classifier.spec().name() + " has no label '" + label + "'");
    }
    List<Sample> others = new ArrayList<>();
    for (Sample s : samples) {
      if (!s.label().equals(label)) {
        others.add(s);
      }
    }
    List<Sample> chained = new ArrayList<>();
    List<byte[]> images = new ArrayList<>();
    for (Sample s : others) {
      try {
        images.add(chain(s.read()));
        chained.add(s);
      } catch (IOException e) {
        throw new ModelRunException("cannot read " + s.file() + ": " + e.getMessage(), e);
      }
    }
    progress.stage("re-encode check", chained.size());
    Predictions after = Evaluator.predictBytes(classifier, chained, images, progress);
    Predictions plain = before.where(s -> !s.label().equals(label));
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put(
        "what",
        "images of the other classes resized to swapped width/height, back, and re-encoded at JPEG quality "
            + QUALITY
            + ": how many the model then calls '"
            + label
            + "'");
    out.put("images", chained.size());
    out.put("calledBefore", count(plain, k));
    out.put("calledAfter", count(after, k));
    out.put("accuracyBefore", EvaluationSummary.round(plain.metrics().accuracy()));
    out.put("accuracyAfter", EvaluationSummary.round(after.metrics().accuracy()));
    return out;
  }

  private static int count(Predictions p, int k) {
    int n = 0;
    for (float[] row : p.probabilities()) {
      n += Metrics.argmax(row) == k ? 1 : 0;
    }
    return n;
  }

  static byte[] chain(byte[] jpeg) throws ModelRunException {
    MatOfByte in = new MatOfByte(jpeg);
    Mat image = Imgcodecs.imdecode(in, Imgcodecs.IMREAD_COLOR);
    Mat swapped = new Mat();
    Mat back = new Mat();
    MatOfByte out = new MatOfByte();
    MatOfInt params = new MatOfInt(Imgcodecs.IMWRITE_JPEG_QUALITY, QUALITY);
    try {
      if (image.empty()) {
        throw new ModelRunException("cannot decode an image for the re-encode check");
      }
      Imgproc.resize(
          image, swapped, new Size(image.rows(), image.cols()), 0, 0, Imgproc.INTER_AREA);
      Imgproc.resize(swapped, back, image.size(), 0, 0, Imgproc.INTER_LINEAR);
      Imgcodecs.imencode(".jpg", back, out, params);
      return out.toArray();
    } finally {
      in.release();
      image.release();
      swapped.release();
      back.release();
      out.release();
      params.release();
    }
  }
}
