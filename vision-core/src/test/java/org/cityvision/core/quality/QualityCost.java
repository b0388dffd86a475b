package org.cityvision.core.quality;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.Locale;
import java.util.Random;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.image.SyntheticScene;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * CPU cost of the quality check on 1920×1080 JPEGs (quality 85, sensor noise), measured as this
 * thread's CPU time after a warm-up, split into the 1/8-scale decode and the whole check.
 */
final class QualityCost {
  /**
   * Milliseconds of thread CPU per frame: {decode only, decode + analysis, analysis + health
   * update}.
   */
  static double[] measure(Mat base1080, int frames) throws ImageException {
    OpenCvRuntime.load();
    FrameQuality quality = new FrameQuality(ImageLimits.DEFAULT);
    Random random = new Random(5);
    byte[][] jpegs = new byte[8][];
    for (int i = 0; i < jpegs.length; i++) {
      Mat noisy = base1080.clone();
      FaultCorpus.addNoise(noisy, 2.5, random);
      jpegs[i] = SyntheticScene.encode(noisy, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85);
      noisy.release();
    }
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    CameraState state = CameraState.initial("bench", Instant.EPOCH);
    for (int i = 0; i < 300; i++) {
      state =
          CameraHealth.update(
                  state,
                  quality.analyze(jpegs[i % jpegs.length]),
                  null,
                  null,
                  Instant.EPOCH.plusSeconds(i),
                  CameraHealthConfig.DEFAULTS)
              .state();
      decodeOnly(jpegs[i % jpegs.length]);
    }
    long t0 = cpu.getCurrentThreadCpuTime();
    for (int i = 0; i < frames; i++) {
      decodeOnly(jpegs[i % jpegs.length]);
    }
    long t1 = cpu.getCurrentThreadCpuTime();
    for (int i = 0; i < frames; i++) {
      quality.analyze(jpegs[i % jpegs.length]);
    }
    long t2 = cpu.getCurrentThreadCpuTime();
    for (int i = 0; i < frames; i++) {
      state =
          CameraHealth.update(
                  state,
                  quality.analyze(jpegs[i % jpegs.length]),
                  null,
                  null,
                  Instant.EPOCH.plusSeconds(1000 + i),
                  CameraHealthConfig.DEFAULTS)
              .state();
    }
    long t3 = cpu.getCurrentThreadCpuTime();
    return new double[] {
      (t1 - t0) / 1e6 / frames, (t2 - t1) / 1e6 / frames, (t3 - t2) / 1e6 / frames
    };
  }

  private static void decodeOnly(byte[] jpeg) {
    MatOfByte buffer = new MatOfByte(jpeg);
    Mat m =
        Imgcodecs.imdecode(
            buffer, Imgcodecs.IMREAD_REDUCED_GRAYSCALE_8 | Imgcodecs.IMREAD_IGNORE_ORIENTATION);
    m.release();
    buffer.release();
  }

  public static void main(String[] args) throws Exception {
    OpenCvRuntime.load();
    Mat base;
    if (args.length > 0) {
      Mat source = Imgcodecs.imread(args[0]);
      base = FaultCorpus.base(source, 1920, 1080);
      source.release();
    } else {
      base = FaultCorpus.syntheticBase(1920, 1080, 1);
    }
    double[] ms = measure(base, 500);
    base.release();
    System.out.printf(
        Locale.ROOT,
        "1920x1080 JPEG q85: 1/8 grey decode %.2f ms, quality analysis with decode %.2f ms, "
            + "analysis + health update %.2f ms CPU per frame%n",
        ms[0],
        ms[1],
        ms[2]);
  }
}
