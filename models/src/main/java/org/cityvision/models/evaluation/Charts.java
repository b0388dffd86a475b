package org.cityvision.models.evaluation;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.training.EpochRecord;
import org.opencv.core.Mat;
import org.opencv.core.CvType;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Draws the report's pictures with OpenCV: a confusion matrix and training curves, as PNG files.
 *
 * <p>Stateless and thread-safe.
 */
public final class Charts {
  private static final Scalar WHITE = new Scalar(255, 255, 255);
  private static final Scalar BLACK = new Scalar(0, 0, 0);
  private static final Scalar GREY = new Scalar(200, 200, 200);
  private static final int FONT = Imgproc.FONT_HERSHEY_SIMPLEX;

  private Charts() {}

  /** A confusion matrix, rows = truth, columns = prediction, shaded by each row's share. */
  public static void confusionMatrix(Metrics m, String title, Path file) throws ModelRunException {
    OpenCvRuntime.load();
    int[][] c = m.confusion();
    int k = c.length;
    int cell = 80;
    int left = 200;
    int top = 90;
    int width = left + k * cell + 30;
    int height = top + k * cell + 170;
    Mat img = new Mat(height, width, CvType.CV_8UC3, WHITE);
    try {
      text(img, title, 10, 28, 0.7, BLACK, 2);
      text(img, "rows: true class, columns: predicted; cell = count (row %)", 10, 55, 0.45, BLACK, 1);
      for (int i = 0; i < k; i++) {
        int rowSum = 0;
        for (int v : c[i]) {
          rowSum += v;
        }
        for (int j = 0; j < k; j++) {
          double share = rowSum == 0 ? 0 : (double) c[i][j] / rowSum;
          // Blue for the diagonal, red off it; darker = larger share.
          Scalar colour = i == j
              ? new Scalar(255, 255 - 155 * share, 255 - 215 * share)
              : new Scalar(255 - 215 * share, 255 - 215 * share, 255);
          Point a = new Point(left + j * cell, top + i * cell);
          Point b = new Point(left + (j + 1) * cell, top + (i + 1) * cell);
          Imgproc.rectangle(img, a, b, colour, -1);
          Imgproc.rectangle(img, a, b, GREY, 1);
          Scalar ink = share > 0.6 ? WHITE : BLACK;
          text(img, Integer.toString(c[i][j]), (int) a.x + 8, (int) a.y + 35, 0.6, ink, 2);
          text(img, String.format(Locale.ROOT, "%.0f%%", share * 100), (int) a.x + 8, (int) a.y + 60, 0.45, ink, 1);
        }
        text(img, shorten(m.labels().get(i)), 8, top + i * cell + 45, 0.5, BLACK, 1);
      }
      for (int j = 0; j < k; j++) {
        // Column labels written downwards below the grid, one per column.
        String label = shorten(m.labels().get(j));
        for (int ch = 0; ch < Math.min(label.length(), 12); ch++) {
          text(img, label.substring(ch, ch + 1), left + j * cell + 34, top + k * cell + 18 + ch * 12, 0.4, BLACK, 1);
        }
      }
      write(img, file);
    } finally {
      img.release();
    }
  }

  /** Loss (left) and validation accuracy / macro-F1 (right) over the epochs of both phases. */
  public static void trainingCurves(List<EpochRecord> history, String title, Path file) throws ModelRunException {
    OpenCvRuntime.load();
    int panelW = 460;
    int panelH = 300;
    int margin = 50;
    Mat img = new Mat(panelH + 2 * margin + 40, 2 * panelW + 3 * margin, CvType.CV_8UC3, WHITE);
    try {
      text(img, title, 10, 25, 0.6, BLACK, 2);
      int n = history.size();
      if (n > 0) {
        double maxLoss = 0;
        for (EpochRecord r : history) {
          maxLoss = Math.max(maxLoss, Math.max(r.trainLoss(), r.valLoss()));
        }
        maxLoss = maxLoss <= 0 ? 1 : maxLoss * 1.05;
        int x0 = margin;
        int x1 = margin * 2 + panelW;
        int y0 = margin + 20;
        axes(img, x0, y0, panelW, panelH, "loss (train blue, val red)", 0, maxLoss);
        axes(img, x1, y0, panelW, panelH, "val accuracy (green), macro-F1 (purple)", 0, 1);
        double[] train = history.stream().mapToDouble(EpochRecord::trainLoss).toArray();
        double[] val = history.stream().mapToDouble(EpochRecord::valLoss).toArray();
        double[] acc = history.stream().mapToDouble(EpochRecord::valAccuracy).toArray();
        double[] f1 = history.stream().mapToDouble(EpochRecord::valMacroF1).toArray();
        series(img, x0, y0, panelW, panelH, train, maxLoss, new Scalar(200, 80, 0));
        series(img, x0, y0, panelW, panelH, val, maxLoss, new Scalar(0, 0, 220));
        series(img, x1, y0, panelW, panelH, acc, 1, new Scalar(0, 160, 0));
        series(img, x1, y0, panelW, panelH, f1, 1, new Scalar(160, 0, 160));
        for (int i = 1; i < n; i++) {
          if (!history.get(i).phase().equals(history.get(i - 1).phase())) {
            for (int x : new int[] {x0, x1}) {
              int px = x + (int) Math.round((i - 0.5) * panelW / Math.max(1, n - 1));
              Imgproc.line(img, new Point(px, y0), new Point(px, y0 + panelH), GREY, 1);
              text(img, history.get(i).phase(), px + 3, y0 + 14, 0.4, BLACK, 1);
            }
          }
        }
        text(img, "epochs: " + history.get(0).phase() + " then later phases, left to right", x0, y0 + panelH + 35,
            0.45, BLACK, 1);
      }
      write(img, file);
    } finally {
      img.release();
    }
  }

  private static void axes(Mat img, int x, int y, int w, int h, String label, double lo, double hi) {
    Imgproc.rectangle(img, new Point(x, y), new Point(x + w, y + h), BLACK, 1);
    for (int i = 1; i < 4; i++) {
      int py = y + h * i / 4;
      Imgproc.line(img, new Point(x, py), new Point(x + w, py), GREY, 1);
      text(img, String.format(Locale.ROOT, "%.2f", hi - (hi - lo) * i / 4), x - 42, py + 4, 0.35, BLACK, 1);
    }
    text(img, String.format(Locale.ROOT, "%.2f", hi), x - 42, y + 4, 0.35, BLACK, 1);
    text(img, label, x, y - 8, 0.45, BLACK, 1);
  }

  private static void series(Mat img, int x, int y, int w, int h, double[] v, double max, Scalar colour) {
    int n = v.length;
    Point previous = null;
    for (int i = 0; i < n; i++) {
      double px = x + (n == 1 ? w / 2.0 : (double) i * w / (n - 1));
      double py = y + h - Math.max(0, Math.min(1, v[i] / max)) * h;
      Point p = new Point(px, py);
      if (previous != null) {
        Imgproc.line(img, previous, p, colour, 2);
      }
      Imgproc.circle(img, p, 2, colour, -1);
      previous = p;
    }
  }

  private static void text(Mat img, String s, int x, int y, double scale, Scalar colour, int thickness) {
    Imgproc.putText(img, s, new Point(x, y), FONT, scale, colour, thickness, Imgproc.LINE_AA);
  }

  private static String shorten(String label) {
    return label.length() <= 22 ? label : label.substring(0, 21) + ".";
  }

  private static void write(Mat img, Path file) throws ModelRunException {
    if (!Imgcodecs.imwrite(file.toString(), img)) {
      throw new ModelRunException("OpenCV could not write " + file);
    }
  }
}
