package org.cityvision.models.candidate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Draws the learning-curve experiment's results as a PNG with OpenCV: accuracy on the new site and
 * on the original test split against the number of verdicts (evenly spaced doublings), head mode as
 * lines, fine-tune mode as points, the all-site-data head as a dashed reference.
 */
final class LearningCurveChart {
  private static final Scalar WHITE = new Scalar(255, 255, 255);
  private static final Scalar BLACK = new Scalar(0, 0, 0);
  private static final Scalar GREY = new Scalar(215, 215, 215);
  private static final Scalar SITE = new Scalar(180, 100, 20);
  private static final Scalar ORIGINAL = new Scalar(40, 140, 40);
  private static final Scalar TUNED = new Scalar(30, 30, 210);
  private static final int LEFT = 80;
  private static final int TOP = 70;
  private static final int WIDTH = 620;
  private static final int HEIGHT = 360;
  private static final double Y_MIN = 0.5;

  private LearningCurveChart() {}

  /**
   * Draws {@code curve} (and the fine-tune points of {@code fineTune}, when that file exists) into
   * {@code png}.
   */
  static void draw(Path curve, Path fineTune, Path png) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode results = (ObjectNode) json.readTree(curve.toFile());
    if (Files.isRegularFile(fineTune)) {
      ((ArrayNode) results.get("rows"))
          .addAll((ArrayNode) json.readTree(fineTune.toFile()).get("rows"));
    }
    draw(results, png);
  }

  static void draw(JsonNode results, Path file) {
    OpenCvRuntime.load();
    List<Integer> xs = new ArrayList<>();
    for (JsonNode r : results.get("rows")) {
      if (!r.get("mode").asText().startsWith("head,") && !xs.contains(r.get("verdicts").asInt())) {
        xs.add(r.get("verdicts").asInt());
      }
    }
    xs.sort(Integer::compare);
    Mat img = new Mat(TOP + HEIGHT + 110, LEFT + WIDTH + 40, CvType.CV_8UC3, WHITE);
    try {
      text(img, "Learning loop: urban model on a new site (urban-extra)", 10, 28, 0.65, BLACK, 2);
      text(
          img,
          "accuracy vs reviewer verdicts; head candidates (lines), fine-tune (squares)",
          10,
          52,
          0.45,
          BLACK,
          1);
      for (int t = 0; t <= 5; t++) {
        double v = Y_MIN + t * (1 - Y_MIN) / 5;
        int y = y(v);
        Imgproc.line(img, new Point(LEFT, y), new Point(LEFT + WIDTH, y), GREY, 1);
        text(img, String.format(Locale.ROOT, "%.2f", v), LEFT - 48, y + 5, 0.45, BLACK, 1);
      }
      for (int i = 0; i < xs.size(); i++) {
        text(
            img,
            Integer.toString(xs.get(i)),
            x(i, xs.size()) - 10,
            TOP + HEIGHT + 22,
            0.45,
            BLACK,
            1);
      }
      text(img, "verdicts", LEFT + WIDTH / 2 - 30, TOP + HEIGHT + 45, 0.5, BLACK, 1);
      Imgproc.rectangle(img, new Point(LEFT, TOP), new Point(LEFT + WIDTH, TOP + HEIGHT), BLACK, 1);
      Point prevSite = null;
      Point prevOriginal = null;
      for (JsonNode r : results.get("rows")) {
        String mode = r.get("mode").asText();
        int i = xs.indexOf(r.get("verdicts").asInt());
        if (mode.startsWith("head,")) {
          int y = y(r.get("siteAccuracy").asDouble());
          for (int x = LEFT; x < LEFT + WIDTH; x += 14) {
            Imgproc.line(
                img, new Point(x, y), new Point(Math.min(LEFT + WIDTH, x + 7), y), SITE, 1);
          }
          text(
              img,
              "head on all " + r.get("verdicts").asInt() + " site images",
              LEFT + 8,
              y - 6,
              0.42,
              SITE,
              1);
          continue;
        }
        Point site = new Point(x(i, xs.size()), y(r.get("siteAccuracy").asDouble()));
        Point original = new Point(x(i, xs.size()), y(r.get("originalTestAccuracy").asDouble()));
        if (mode.equals("fine-tune")) {
          square(img, site, TUNED);
          square(img, original, TUNED);
          continue;
        }
        Imgproc.circle(img, site, 4, SITE, -1);
        Imgproc.circle(img, original, 4, ORIGINAL, -1);
        if (prevSite != null) {
          Imgproc.line(img, prevSite, site, SITE, 2);
          Imgproc.line(img, prevOriginal, original, ORIGINAL, 2);
        }
        prevSite = site;
        prevOriginal = original;
      }
      int ly = TOP + HEIGHT + 75;
      Imgproc.line(img, new Point(LEFT, ly - 5), new Point(LEFT + 30, ly - 5), SITE, 2);
      text(img, "new site, held-out images", LEFT + 36, ly, 0.45, BLACK, 1);
      Imgproc.line(img, new Point(LEFT + 260, ly - 5), new Point(LEFT + 290, ly - 5), ORIGINAL, 2);
      text(img, "original test split", LEFT + 296, ly, 0.45, BLACK, 1);
      square(img, new Point(LEFT + 470, ly - 5), TUNED);
      text(img, "fine-tune", LEFT + 480, ly, 0.45, BLACK, 1);
      Imgcodecs.imwrite(file.toString(), img);
    } finally {
      img.release();
    }
  }

  private static int x(int i, int n) {
    return LEFT + 30 + (int) Math.round(i * (WIDTH - 60) / (double) Math.max(1, n - 1));
  }

  private static int y(double v) {
    return TOP + (int) Math.round((1 - (Math.max(Y_MIN, v) - Y_MIN) / (1 - Y_MIN)) * HEIGHT);
  }

  private static void square(Mat img, Point c, Scalar colour) {
    Imgproc.rectangle(img, new Point(c.x - 5, c.y - 5), new Point(c.x + 5, c.y + 5), colour, 2);
  }

  private static void text(
      Mat img, String s, int x, int y, double scale, Scalar colour, int thickness) {
    Imgproc.putText(
        img,
        s,
        new Point(x, y),
        Imgproc.FONT_HERSHEY_SIMPLEX,
        scale,
        colour,
        thickness,
        Imgproc.LINE_AA);
  }
}
