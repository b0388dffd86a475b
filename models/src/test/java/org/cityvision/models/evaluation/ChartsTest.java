package org.cityvision.models.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.cityvision.models.training.EpochRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
  @TempDir Path dir;

  @Test
  void confusionMatrixShadesEachCellByItsShareOfTheTrueClass() throws Exception {
    List<String> labels = List.of("illegal_dumping_and_overflowing_bins", "graffiti", "normal");
    // 10 images per class; class 0 all right, class 1 half right, class 2 all called class 0.
    int[] truth = new int[30];
    float[][] p = new float[30][3];
    for (int i = 0; i < 30; i++) {
      truth[i] = i / 10;
      int predicted = truth[i] == 0 ? 0 : truth[i] == 1 ? (i % 2 == 0 ? 1 : 2) : 0;
      p[i][predicted] = 1f;
    }
    Path file = dir.resolve("confusion.png");
    Charts.confusionMatrix(Metrics.of(labels, truth, p), "urban test split", file);

    BufferedImage img = ImageIO.read(file.toFile());
    assertTrue(
        img.getWidth() >= 420 + 12 * labels.get(0).length(), "room for the longest label, whole");
    // The darkest cells (100%) and the palest (0%) are both drawn: the shading follows the share.
    int darkest = 255 * 3;
    int palest = 0;
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (b > r + 40) {
          darkest = Math.min(darkest, r + g + b);
          palest = Math.max(palest, r + g + b);
        }
      }
    }
    assertTrue(darkest < 250, "a full-share cell is dark blue: " + darkest);
    assertTrue(palest > 600, "a small-share cell is pale: " + palest);
  }

  @Test
  void trainingCurvesDrawBothPanelsSideBySideForEveryPhase() throws Exception {
    List<EpochRecord> history = new ArrayList<>();
    for (int e = 1; e <= 6; e++) {
      history.add(
          new EpochRecord("head", e, 1.5 / e, 1.6 / e, 0.5 + 0.05 * e, 0.45 + 0.05 * e, 1, e == 6));
    }
    for (int e = 1; e <= 4; e++) {
      history.add(
          new EpochRecord(
              "fine-tune", e, 0.2 / e, 0.3 / e, 0.85 + 0.02 * e, 0.83 + 0.02 * e, 9, e == 4));
    }
    Path file = dir.resolve("curves.png");
    Charts.trainingCurves(history, "waste 9.9.9", file);

    BufferedImage img = ImageIO.read(file.toFile());
    assertEquals(1280, img.getWidth(), "two 640-pixel panels");
    assertEquals(500, img.getHeight());
    assertTrue(colouredPixels(img, 0, 640) > 500, "the loss panel has its lines");
    assertTrue(colouredPixels(img, 640, 1280) > 500, "the validation panel has its lines");
  }

  @Test
  void trainingCurvesOfARunWithNoEpochsStillWriteAPicture() throws Exception {
    Path file = dir.resolve("empty.png");
    Charts.trainingCurves(List.of(), "nothing trained", file);
    assertEquals(1280, ImageIO.read(file.toFile()).getWidth());
  }

  private static int colouredPixels(BufferedImage img, int fromX, int toX) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = fromX; x < toX; x++) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
          n++;
        }
      }
    }
    return n;
  }
}
