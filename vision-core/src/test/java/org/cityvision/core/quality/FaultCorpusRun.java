package org.cityvision.core.quality;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.OpenCvRuntime;
import org.opencv.core.Mat;

/**
 * Runs the labelled fault corpus: simulated cameras, one per street photo, each learning its
 * baseline from healthy frames and then shown every {@link FaultCorpus.Variant} as a run of frames.
 * Reports per-frame recall per fault kind, frames to detection, and false alarms per normal
 * variant.
 */
final class FaultCorpusRun {
  static final int WIDTH = 1280;
  static final int HEIGHT = 720;
  static final int BASELINE_FRAMES = 8;
  static final int RUN = 3;

  /** Counts per variant. */
  static final class Tally {
    int frames;
    int hits;
    int firstDetections;
    long framesToDetection;
    int runs;
    final List<double[]> measures = new ArrayList<>();

    double rate() {
      return frames == 0 ? Double.NaN : (double) hits / frames;
    }
  }

  final Map<FaultCorpus.Variant, Tally> tallies = new EnumMap<>(FaultCorpus.Variant.class);
  final Tally firstFrames = new Tally();
  int cameras;

  static List<Path> images(Path datasets, int limit, long seed) throws IOException {
    List<Path> all = new ArrayList<>();
    for (String set : new String[] {"urban", "urban-extra"}) {
      Path dir = datasets.resolve(set);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        files
            .filter(p -> p.toString().toLowerCase(Locale.ROOT).endsWith(".jpg"))
            .sorted()
            .forEach(all::add);
      }
    }
    Collections.shuffle(all, new Random(seed));
    return all.subList(0, Math.min(limit, all.size()));
  }

  void run(List<Path> images, CameraHealthConfig config, long seed) throws ImageException {
    OpenCvRuntime.load();
    FrameQuality quality = new FrameQuality(ImageLimits.DEFAULT);
    Random random = new Random(seed);
    cameras +=
        FaultCorpus.cameras(
            images,
            WIDTH,
            HEIGHT,
            1,
            (id, base, other) -> camera(id, base, other, quality, config, random));
  }

  private void camera(
      String id,
      Mat base,
      Mat other,
      FrameQuality quality,
      CameraHealthConfig config,
      Random random)
      throws ImageException {
    Instant t = Instant.parse("2026-03-01T08:00:00Z");
    // A camera's first frames are dusk-dark or plain: never faulty (nothing to compare with yet).
    CameraState fresh = CameraState.initial(id, t);
    for (int i = 0; i < BASELINE_FRAMES; i++) {
      FaultCorpus.Variant v = i % 2 == 0 ? FaultCorpus.Variant.DUSK : FaultCorpus.Variant.FOG;
      HealthUpdate u =
          CameraHealth.update(
              fresh,
              analyse(base, v, random, other, quality),
              null,
              t,
              t.plusSeconds(10L * i),
              config);
      fresh = u.state();
      firstFrames.frames++;
      if (!u.faults().isEmpty()) {
        firstFrames.hits++;
      }
    }
    CameraState state = CameraState.initial(id, t);
    byte[] last = null;
    for (int i = 0; i < BASELINE_FRAMES; i++) {
      FaultCorpus.Variant v =
          i % 2 == 0 ? FaultCorpus.Variant.NOISE_ONLY : FaultCorpus.Variant.LIGHT_DRIFT;
      Mat frame = FaultCorpus.frame(base, v, random, other);
      last = FaultCorpus.encode(frame, v, random);
      frame.release();
      state = CameraHealth.update(state, quality.analyze(last), null, t, t, config).state();
      t = t.plusSeconds(10);
    }
    for (FaultCorpus.Variant v : FaultCorpus.Variant.values()) {
      Tally tally = tallies.computeIfAbsent(v, k -> new Tally());
      CameraState s = state;
      Instant at = t;
      Mat frame =
          v == FaultCorpus.Variant.REPEATED ? null : FaultCorpus.frame(base, v, random, other);
      int detectedAt = -1;
      for (int k = 0; k < RUN; k++) {
        byte[] bytes;
        if (v == FaultCorpus.Variant.REPEATED) {
          bytes = last;
          at = at.plus(config.frozenAfter());
        } else {
          // The same fault, new sensor noise on every frame.
          Mat noisy = FaultCorpus.frame(base, v, new Random(random.nextLong()), other);
          if (v == FaultCorpus.Variant.SHIFTED_VIEW
              || v == FaultCorpus.Variant.SPRAYED_COVER
              || v == FaultCorpus.Variant.UNIFORM_COVER
              || v == FaultCorpus.Variant.NEW_OBJECT) {
            noisy.release();
            noisy = frame.clone();
            FaultCorpus.addNoise(noisy, 2, random);
          }
          bytes = FaultCorpus.encode(noisy, v, random);
          noisy.release();
          at = at.plusSeconds(10);
        }
        FrameAnalysis fa = quality.analyze(bytes);
        if (k == RUN - 1) {
          CameraBaseline b = state.baseline();
          tally.measures.add(
              new double[] {
                fa.fractionAtOrBelow(config.blackLevel()),
                fa.fractionAtOrAbove(config.overexposedLevel()),
                fa.sharpness() / b.sharpness(),
                CameraHealth.coveredShare(fa, b, config),
                fa.signature().similarity(b.reference()),
                fa.signature().shiftedQuadrants(b.reference())
              });
        }
        HealthUpdate u = CameraHealth.update(s, fa, null, at, at, config);
        s = u.state();
        boolean counted = v != FaultCorpus.Variant.SHIFTED_VIEW || k >= config.moveFrames() - 1;
        boolean hit =
            v.normal()
                ? !u.faults().isEmpty()
                : u.faults().contains(v.expected)
                    || (v == FaultCorpus.Variant.LENS_CAP
                        && u.faults().contains(QualityFault.BLACK));
        if (counted) {
          tally.frames++;
          if (hit) {
            tally.hits++;
          }
        }
        if (hit && detectedAt < 0) {
          detectedAt = k + 1;
        }
      }
      tally.runs++;
      if (detectedAt > 0) {
        tally.firstDetections++;
        tally.framesToDetection += detectedAt;
      }
      if (frame != null) {
        frame.release();
      }
    }
  }

  private static FrameAnalysis analyse(
      Mat base, FaultCorpus.Variant v, Random random, Mat other, FrameQuality q)
      throws ImageException {
    Mat frame = FaultCorpus.frame(base, v, random, other);
    try {
      return q.analyze(FaultCorpus.encode(frame, v, random));
    } finally {
      frame.release();
    }
  }

  String table() {
    StringBuilder out = new StringBuilder();
    out.append(
        "| variant | expected fault | frames | per-frame recall / false-alarm rate | runs detected | mean frames to detection |\n");
    out.append("|---|---|---|---|---|---|\n");
    for (Map.Entry<FaultCorpus.Variant, Tally> e : tallies.entrySet()) {
      FaultCorpus.Variant v = e.getKey();
      Tally t = e.getValue();
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %.3f | %s | %s |%n",
              v.name().toLowerCase(Locale.ROOT),
              v.normal() ? "none (normal)" : v.expected.wireName(),
              t.frames,
              t.rate(),
              v.normal() ? "-" : t.firstDetections + "/" + t.runs,
              v.normal() || t.firstDetections == 0
                  ? "-"
                  : String.format(
                      Locale.ROOT, "%.2f", (double) t.framesToDetection / t.firstDetections)));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "| first frames, dusk and fog (no baseline) | none (normal) | %d | %.3f | - | - |%n",
            firstFrames.frames,
            firstFrames.rate()));
    return out.toString();
  }

  String measures() {
    StringBuilder out =
        new StringBuilder(
            "variant: black over sharpRatio covered similarity shiftedQuadrants (p5 / p50 / p95)\n");
    for (Map.Entry<FaultCorpus.Variant, Tally> e : tallies.entrySet()) {
      out.append(e.getKey()).append(':');
      for (int m = 0; m < 6; m++) {
        final int mm = m;
        double[] v = e.getValue().measures.stream().mapToDouble(a -> a[mm]).sorted().toArray();
        out.append(
            String.format(
                Locale.ROOT,
                "  %.3f/%.3f/%.3f",
                v[(int) (v.length * 0.05)],
                v[v.length / 2],
                v[Math.min(v.length - 1, (int) (v.length * 0.95))]));
      }
      out.append('\n');
    }
    return out.toString();
  }

  double normalFalseAlarmRate() {
    int frames = firstFrames.frames;
    int hits = firstFrames.hits;
    for (Map.Entry<FaultCorpus.Variant, Tally> e : tallies.entrySet()) {
      if (e.getKey().normal()) {
        frames += e.getValue().frames;
        hits += e.getValue().hits;
      }
    }
    return (double) hits / frames;
  }

  public static void main(String[] args) throws Exception {
    Path datasets = Path.of(args.length > 0 ? args[0] : "../shared/datasets");
    int cameras = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    FaultCorpusRun run = new FaultCorpusRun();
    run.run(images(datasets, cameras, 19), CameraHealthConfig.DEFAULTS, 19);
    System.out.println(run.cameras + " cameras");
    System.out.print(run.table());
    System.out.print(run.measures());
    System.out.printf(Locale.ROOT, "normal false-alarm rate %.4f%n", run.normalFalseAlarmRate());
  }
}
