package org.cityvision.datasets.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.cityvision.core.image.OpenCvRuntime;
import org.junit.jupiter.api.Test;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;

class FloodSynthTest {
  /**
   * A street scene, 400x300: blue sky, a red "bus" standing on the line between sky and road, grey
   * road with white lane marks below.
   */
  private static Mat street() {
    OpenCvRuntime.load();
    Mat m = new Mat(300, 400, CvType.CV_8UC3, new Scalar(90, 90, 90));
    Imgproc.rectangle(m, new Point(0, 0), new Point(400, 100), new Scalar(230, 180, 120), -1);
    Imgproc.rectangle(m, new Point(150, 40), new Point(250, 120), new Scalar(30, 30, 210), -1);
    for (int x = 20; x < 400; x += 60) {
      Imgproc.line(m, new Point(x, 280), new Point(x + 30, 280), Scalar.all(250), 4);
    }
    return m;
  }

  @Test
  void theSkyStaysAndTheRoadBecomesWater() {
    Mat image = street();
    FloodSynth synth = new FloodSynth();
    for (int seed = 0; seed < 8; seed++) {
      Mat flooded = synth.flood(image, new Random(seed));
      assertEquals(image.size(), flooded.size());
      assertEquals(CvType.CV_8UC3, flooded.type());
      // Above the highest possible waterline (0.78 of the height, minus the tilt and the waves)
      // nothing changes.
      Rect top = new Rect(0, 0, 400, 60);
      assertArrayEquals(
          TestMats.bytes(image.submat(top)), TestMats.bytes(flooded.submat(top)), "seed " + seed);
      // The bottom rows are water: the lane marks are under it, the grey road is tinted.
      Rect bottom = new Rect(0, 270, 400, 20);
      Mat water = flooded.submat(bottom);
      double mark = Core.mean(gray(flooded.submat(new Rect(22, 279, 26, 3)))).val[0];
      assertTrue(mark < 235, "seed " + seed + ": lane mark still white: " + mark);
      assertFalse(
          Core.norm(image.submat(bottom), water, Core.NORM_L1) / (400 * 20 * 3) < 5,
          "seed " + seed + ": the road did not change");
    }
  }

  @Test
  void theWaterMirrorsWhatStandsAboveTheLine() {
    OpenCvRuntime.load();
    // A red post from the top of the frame down to the bottom, on grey: wherever the waterline
    // falls, the water just under it mirrors red under the post and grey beside it.
    Mat image = new Mat(300, 400, CvType.CV_8UC3, new Scalar(90, 90, 90));
    Imgproc.rectangle(image, new Point(170, 0), new Point(230, 300), new Scalar(30, 30, 220), -1);
    FloodSynth synth = new FloodSynth();
    for (int seed = 0; seed < 8; seed++) {
      Mat flooded = synth.flood(image, new Random(seed));
      float[] line = FloodSynth.waterline(400, 300, new Random(seed));
      int row = (int) Math.ceil(Math.max(line[200], line[40])) + 8;
      double[] under = flooded.get(row, 200);
      double[] beside = flooded.get(row, 40);
      double redUnder = under[2] - under[0];
      double redBeside = beside[2] - beside[0];
      assertTrue(
          redUnder > redBeside + 15,
          "seed " + seed + ": no reflection, red-blue " + redUnder + " vs " + redBeside);
    }
  }

  @Test
  void theSameSeedGivesTheSameFloodAndAnotherSeedAnother() {
    Mat image = street();
    FloodSynth synth = new FloodSynth();
    byte[] a = TestMats.bytes(synth.flood(image, new Random(42)));
    byte[] b = TestMats.bytes(synth.flood(image, new Random(42)));
    byte[] c = TestMats.bytes(synth.flood(image, new Random(43)));
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void refusesAnythingButEightBitColour() {
    OpenCvRuntime.load();
    Mat gray = new Mat(30, 40, CvType.CV_8UC1, Scalar.all(100));
    assertThrows(IllegalArgumentException.class, () -> new FloodSynth().flood(gray, new Random(1)));
  }

  private static Mat gray(Mat bgr) {
    Mat g = new Mat();
    Imgproc.cvtColor(bgr, g, Imgproc.COLOR_BGR2GRAY);
    return g;
  }
}
