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
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

class PotholeSynthTest {
  /** Sky over a plain grey road, 400x300. */
  private static Mat road() {
    OpenCvRuntime.load();
    Mat m = new Mat(300, 400, CvType.CV_8UC3, new Scalar(120, 120, 120));
    Imgproc.rectangle(m, new Point(0, 0), new Point(400, 110), new Scalar(230, 180, 120), -1);
    return m;
  }

  @Test
  void holesDarkenTheRoadAndLeaveTheSky() {
    Mat image = road();
    PotholeSynth synth = new PotholeSynth();
    for (int seed = 0; seed < 8; seed++) {
      Mat damaged = synth.damage(image, new Random(seed));
      assertEquals(image.size(), damaged.size());
      Rect sky = new Rect(0, 0, 400, 110);
      assertArrayEquals(
          TestMats.bytes(image.submat(sky)), TestMats.bytes(damaged.submat(sky)), "seed " + seed);
      // Somewhere in the lower road a hole is much darker than the road's 120.
      Mat gray = new Mat();
      Imgproc.cvtColor(damaged.submat(new Rect(0, 150, 400, 150)), gray, Imgproc.COLOR_BGR2GRAY);
      Imgproc.blur(gray, gray, new Size(5, 5));
      double darkest = Core.minMaxLoc(gray).minVal;
      assertTrue(darkest < 95, "seed " + seed + ": darkest road patch " + darkest);
    }
  }

  @Test
  void theSameSeedGivesTheSameHolesAndAnotherSeedOthers() {
    Mat image = road();
    PotholeSynth synth = new PotholeSynth();
    byte[] a = TestMats.bytes(synth.damage(image, new Random(5)));
    assertArrayEquals(a, TestMats.bytes(synth.damage(image, new Random(5))));
    assertFalse(Arrays.equals(a, TestMats.bytes(synth.damage(image, new Random(6)))));
  }

  @Test
  void refusesAnythingButEightBitColour() {
    OpenCvRuntime.load();
    Mat gray = new Mat(30, 40, CvType.CV_8UC1, Scalar.all(100));
    assertThrows(
        IllegalArgumentException.class, () -> new PotholeSynth().damage(gray, new Random(1)));
  }
}
