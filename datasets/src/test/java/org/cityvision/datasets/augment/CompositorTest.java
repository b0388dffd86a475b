package org.cityvision.datasets.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

class CompositorTest {
  /** A red disc (radius 80) on a shaded white sheet, 400x300. */
  private static Mat itemOnSheet() {
    OpenCvRuntime.load();
    Mat m = new Mat(300, 400, CvType.CV_8UC3, new Scalar(235, 238, 240));
    for (int x = 0; x < 400; x += 2) {
      Imgproc.line(m, new Point(x, 0), new Point(x, 300), Scalar.all(228 + (x % 10)), 1);
    }
    Imgproc.circle(m, new Point(200, 150), 80, new Scalar(30, 40, 200), -1);
    return m;
  }

  private static int at(Mat m, int x, int y) {
    byte[] px = new byte[(int) m.elemSize()];
    m.get(y, x, px);
    return px[0] & 255;
  }

  @Test
  void theMaskCoversTheItemAndNotTheSheet() {
    Mat image = itemOnSheet();
    Mat mask = Compositor.mask(image);

    assertEquals(255, at(mask, 200, 150));
    assertEquals(255, at(mask, 150, 150));
    assertEquals(0, at(mask, 20, 20));
    assertEquals(0, at(mask, 380, 280));
    double expected = Math.PI * 80 * 80 / (400 * 300);
    assertEquals(expected, Compositor.coverage(mask), 0.02);
  }

  @Test
  void aCompositeKeepsTheItemAndReplacesTheSheetWithVariedBackgrounds() {
    Mat image = itemOnSheet();
    Compositor compositor = new Compositor(List.of());
    double[] cornerMeans = new double[12];
    for (int seed = 0; seed < cornerMeans.length; seed++) {
      Mat out = compositor.composite(image, new Random(seed));
      assertEquals(image.size(), out.size());
      assertEquals(CvType.CV_8UC3, out.type());
      // The item stays near the centre (scaled 0.5-1.05 and shifted by at most 10%): still red
      // there.
      double[] centre = out.get(150, 200);
      assertTrue(
          centre[2] > centre[0] + 40 && centre[2] > centre[1] + 40,
          "centre is red, got " + Arrays.toString(centre));
      cornerMeans[seed] = Core.mean(out.submat(0, 30, 0, 30)).val[1];
      out.release();
    }
    double min = Arrays.stream(cornerMeans).min().orElseThrow();
    double max = Arrays.stream(cornerMeans).max().orElseThrow();
    assertTrue(max - min > 80, "backgrounds vary: corner green means from " + min + " to " + max);
    assertTrue(min < 200, "the white sheet is gone from some corners");
  }

  @Test
  void aSmallerMinimumScalePlacesItemsSmallerAndLeavesTheDefaultAsItWas() {
    Mat image = itemOnSheet();
    Compositor usual = new Compositor(List.of());
    Compositor explicit = new Compositor(List.of(), Compositor.MIN_SCALE);
    Compositor far = new Compositor(List.of(), 0.2);
    double usualRed = 0;
    double farRed = 0;
    for (int seed = 0; seed < 24; seed++) {
      Mat a = usual.composite(image, new Random(seed));
      Mat b = explicit.composite(image, new Random(seed));
      assertEquals(0, Core.norm(a, b, Core.NORM_L1), "seed " + seed + ": the default is 0.5");
      Mat c = far.composite(image, new Random(seed));
      usualRed += redPixels(a);
      farRed += redPixels(c);
      a.release();
      b.release();
      c.release();
    }
    // The disc covers pi*80^2 px at scale 1: placed at 0.2-1.05 it covers 0.72 of what it covers
    // at 0.5-1.05 on average.
    assertTrue(farRed < usualRed * 0.9, "smaller items: " + farRed + " vs " + usualRed);
    assertThrows(IllegalArgumentException.class, () -> new Compositor(List.of(), 0.05));
  }

  /** How many pixels are clearly red (the disc). */
  private static int redPixels(Mat bgr) {
    byte[] px = new byte[(int) (bgr.total() * 3)];
    bgr.get(0, 0, px);
    int n = 0;
    for (int i = 0; i < px.length; i += 3) {
      int b = px[i] & 255;
      int g = px[i + 1] & 255;
      int r = px[i + 2] & 255;
      if (r > 120 && r > b + 80 && r > g + 80) {
        n++;
      }
    }
    return n;
  }

  @Test
  void aSheetDarkeningTowardsItsCornersStaysSheet() {
    OpenCvRuntime.load();
    // Light falls off from 245 in the middle to about 165 in the corners, far more than the colour
    // distance that marks an item; a grey can (not saturated) lies off-centre.
    Mat image = new Mat(300, 400, CvType.CV_8UC3);
    byte[] px = new byte[300 * 400 * 3];
    for (int y = 0; y < 300; y++) {
      for (int x = 0; x < 400; x++) {
        double u = (x - 200) / 200.0;
        double v = (y - 150) / 150.0;
        int grey = (int) Math.round(245 - 40 * (u * u + v * v));
        for (int c = 0; c < 3; c++) {
          px[(y * 400 + x) * 3 + c] = (byte) grey;
        }
      }
    }
    image.put(0, 0, px);
    Imgproc.rectangle(image, new Point(230, 90), new Point(310, 230), Scalar.all(90), -1);
    Mat mask = Compositor.mask(image);

    assertEquals(255, at(mask, 270, 160), "the can is item");
    for (int[] corner : new int[][] {{5, 5}, {394, 5}, {5, 294}, {394, 294}}) {
      assertEquals(0, at(mask, corner[0], corner[1]), "a dark corner is sheet");
    }
    assertEquals(80.0 * 140 / (400 * 300), Compositor.coverage(mask), 0.02);
  }

  @Test
  void cardboardBackgroundsAreBrownFullSizeAndVaried() {
    OpenCvRuntime.load();
    double[] lightness = new double[16];
    for (int seed = 0; seed < lightness.length; seed++) {
      Mat card = Compositor.cardboard(256, 192, new Random(seed));
      assertEquals(192, card.rows());
      assertEquals(256, card.cols());
      assertEquals(CvType.CV_8UC3, card.type());
      Scalar mean = Core.mean(card);
      // BGR: red above green above blue, as card and kraft paper are.
      assertTrue(
          mean.val[2] > mean.val[1] + 5 && mean.val[1] > mean.val[0] + 5, "brown, got " + mean);
      lightness[seed] = mean.val[2];
      card.release();
    }
    double min = Arrays.stream(lightness).min().orElseThrow();
    double max = Arrays.stream(lightness).max().orElseThrow();
    assertTrue(max - min > 30, "light and dark card: red means from " + min + " to " + max);
  }

  @Test
  void aSeededGeneratorGivesTheSameCompositeAgain() {
    Mat image = itemOnSheet();
    Compositor compositor = new Compositor(List.of());
    Mat a = compositor.composite(image, new Random(9));
    Mat b = compositor.composite(image, new Random(9));
    byte[] pa = new byte[(int) a.total() * 3];
    byte[] pb = new byte[(int) b.total() * 3];
    a.get(0, 0, pa);
    b.get(0, 0, pb);
    assertArrayEquals(pa, pb);
  }

  @Test
  void anImageWithoutASheetIsLeftAsItIs() {
    OpenCvRuntime.load();
    Mat noise = new Mat(120, 160, CvType.CV_8UC3);
    Core.randu(noise, 0, 255);
    Mat out = new Compositor(List.of()).composite(noise, new Random(1));
    Mat diff = new Mat();
    Core.absdiff(noise, out, diff);
    assertEquals(0, Core.sumElems(diff).val[0]);
  }

  @Test
  void masksMostTrashNetItemsAndCompositesThemOntoSceneCrops() throws Exception {
    Path waste = SharedData.dataset("waste");
    Path urban = waste.resolveSibling("urban");
    List<Path> scenes;
    try (Stream<Path> s = Files.walk(urban)) {
      scenes = s.filter(p -> p.toString().endsWith(".jpg")).limit(50).toList();
    }
    Compositor compositor = new Compositor(scenes);
    Path out = Path.of("target", "composites");
    Files.createDirectories(out);
    int plausible = 0;
    int n = 0;
    for (String cls : List.of("cardboard", "glass", "metal", "paper", "plastic", "trash")) {
      List<Path> files;
      try (Stream<Path> s = Files.list(waste.resolve(cls))) {
        files = s.sorted().limit(4).toList();
      }
      for (Path f : files) {
        Mat img = Imgcodecs.imread(f.toString());
        double cover = Compositor.coverage(Compositor.mask(img));
        plausible += cover > 0.03 && cover < 0.85 ? 1 : 0;
        n++;
        Mat c = compositor.composite(img, new Random(n));
        Imgcodecs.imwrite(out.resolve(cls + "-" + n + ".png").toString(), c);
        c.release();
        img.release();
      }
    }
    assertTrue(
        plausible >= n * 3 / 4,
        plausible + " of " + n + " TrashNet masks cover a plausible share of the photo");
  }
}
