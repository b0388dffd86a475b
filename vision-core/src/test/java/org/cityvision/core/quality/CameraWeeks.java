package org.cityvision.core.quality;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.image.SyntheticScene;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Healthy cameras simulated for whole weeks: day and night light (street-lit nights, dusk and dawn
 * ramps, slow drift), fog and rain episodes, objects that arrive and stay a while, sensor noise
 * stronger at night. Every state change such a camera makes is a false alert.
 */
final class CameraWeeks {
  static final int WIDTH = 640;
  static final int HEIGHT = 360;

  int cameras;
  long frames;
  int falseAlerts;
  long faultyFrames;
  final Map<String, Integer> alertsByFault = new TreeMap<>();

  void run(List<Path> images, Duration interval, int days, CameraHealthConfig config, long seed)
      throws ImageException {
    OpenCvRuntime.load();
    FrameQuality quality = new FrameQuality(ImageLimits.DEFAULT);
    Random random = new Random(seed);
    cameras +=
        FaultCorpus.cameras(
            images,
            WIDTH,
            HEIGHT,
            7,
            (id, base, other) -> week(id, base, other, interval, days, quality, config, random));
  }

  private void week(
      String id,
      Mat base,
      Mat other,
      Duration interval,
      int days,
      FrameQuality quality,
      CameraHealthConfig config,
      Random random)
      throws ImageException {
    Instant start = Instant.parse("2026-03-02T00:00:00Z");
    CameraState state = CameraState.initial(id, start);
    long total = Duration.ofDays(days).dividedBy(interval);
    double drift = 0;
    long fogUntil = -1;
    long rainUntil = -1;
    double fogAlpha = 0;
    long objectUntil = -1;
    Rect objectAt = null;
    Mat objectPatch = null;
    for (long i = 0; i < total; i++) {
      Instant at = start.plus(interval.multipliedBy(i));
      double hour = (at.getEpochSecond() % 86_400) / 3600.0;
      double light =
          hour >= 7 && hour < 18
              ? 1.0
              : hour >= 18 && hour < 19
                  ? 1.0 - 0.55 * (hour - 18)
                  : hour >= 6 && hour < 7 ? 0.45 + 0.55 * (hour - 6) : 0.45;
      drift = Math.max(-0.15, Math.min(0.15, drift + random.nextGaussian() * 0.01));
      if (fogUntil < i && random.nextDouble() < interval.toSeconds() / (86_400.0 * 0.15 * 4)) {
        fogUntil = i + Duration.ofHours(2 + random.nextInt(5)).dividedBy(interval);
        fogAlpha = 0.25 + 0.3 * random.nextDouble();
      }
      if (rainUntil < i && random.nextDouble() < interval.toSeconds() / (86_400.0 * 0.2 * 3)) {
        rainUntil = i + Duration.ofHours(1 + random.nextInt(3)).dividedBy(interval);
      }
      if (objectUntil < i && random.nextDouble() < 0.02) {
        objectUntil = i + 5 + random.nextInt(60);
        int ow = (int) (WIDTH * (0.1 + 0.15 * random.nextDouble()));
        int oh = (int) (HEIGHT * (0.1 + 0.15 * random.nextDouble()));
        objectAt =
            new Rect(
                random.nextInt(WIDTH - ow), HEIGHT / 2 + random.nextInt(HEIGHT / 2 - oh), ow, oh);
        if (objectPatch != null) {
          objectPatch.release();
        }
        Mat from =
            other.submat(new Rect(random.nextInt(WIDTH - ow), random.nextInt(HEIGHT - oh), ow, oh));
        objectPatch = from.clone();
        from.release();
      }
      Mat frame = new Mat();
      base.convertTo(frame, -1, light * (1 + drift), 0);
      if (objectUntil >= i && objectPatch != null) {
        Mat target = frame.submat(objectAt);
        objectPatch.convertTo(target, -1, light, 0);
        target.release();
      }
      if (fogUntil >= i) {
        Mat grey =
            new Mat(
                HEIGHT, WIDTH, CvType.CV_8UC3, new Scalar(200 * light, 200 * light, 200 * light));
        Core.addWeighted(frame, 1 - fogAlpha, grey, fogAlpha, 0, frame);
        grey.release();
      }
      if (rainUntil >= i) {
        for (int d = 0; d < 150; d++) {
          int x = random.nextInt(WIDTH);
          int y = random.nextInt(HEIGHT);
          Imgproc.line(
              frame,
              new Point(x, y),
              new Point(x + 2, y + 8 + random.nextInt(12)),
              new Scalar(170, 170, 170),
              1);
        }
      }
      FaultCorpus.addNoise(frame, light < 0.7 ? 4 : 2, random);
      byte[] bytes = SyntheticScene.encode(frame, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 80);
      frame.release();
      // Receive times jitter by up to a second around the camera's cadence.
      Instant received = at.plusMillis(random.nextInt(1000));
      HealthUpdate u =
          CameraHealth.update(state, quality.analyze(bytes), null, at, received, config);
      state = u.state();
      frames++;
      if (!u.faults().isEmpty()) {
        faultyFrames++;
      }
      for (HealthTransition t : u.transitions()) {
        if (t.to() != CameraCondition.OK) {
          falseAlerts++;
          t.faults().forEach(f -> alertsByFault.merge(f.wireName(), 1, Integer::sum));
        }
      }
    }
    if (objectPatch != null) {
      objectPatch.release();
    }
  }

  double alertsPerCameraWeek(int days) {
    return falseAlerts / (cameras * days / 7.0);
  }

  public static void main(String[] args) throws Exception {
    Path datasets = Path.of(args.length > 0 ? args[0] : "../shared/datasets");
    int cameras = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Duration interval = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 120);
    int days = args.length > 3 ? Integer.parseInt(args[3]) : 7;
    CameraWeeks weeks = new CameraWeeks();
    long t0 = System.nanoTime();
    weeks.run(
        FaultCorpusRun.images(datasets, cameras, 23),
        interval,
        days,
        CameraHealthConfig.DEFAULTS,
        23);
    System.out.printf(
        Locale.ROOT,
        "%d cameras x %d days at one frame per %ds: %d frames, %d frames with a fault, "
            + "%d false alerts (%.2f per camera-week) %s in %.0f s%n",
        weeks.cameras,
        days,
        interval.toSeconds(),
        weeks.frames,
        weeks.faultyFrames,
        weeks.falseAlerts,
        weeks.alertsPerCameraWeek(days),
        weeks.alertsByFault,
        (System.nanoTime() - t0) / 1e9);
  }
}
