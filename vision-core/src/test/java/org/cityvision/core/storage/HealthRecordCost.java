package org.cityvision.core.storage;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.quality.CameraHealth;
import org.cityvision.core.quality.CameraHealthConfig;
import org.cityvision.core.quality.CameraHealthRecords;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.FrameAnalysis;
import org.cityvision.core.quality.FrameQuality;
import org.cityvision.core.quality.HealthUpdate;
import org.cityvision.s3server.EmbeddedS3Server;

/**
 * What one camera's health record costs per frame on the embedded S3 store: the whole change (
 * {@link CameraHealthRecords#apply}: listing, read, state update, conditional write) and each store
 * call alone, as this process's CPU (the S3 server runs in it too) and wall time per call.
 *
 * <p>{@code java -cp CP org.cityvision.core.storage.HealthRecordCost [frames]}
 */
final class HealthRecordCost {
  /** Per call, in milliseconds: CPU and wall time of a measured step. */
  record Step(String name, double cpuMs, double wallMs) {}

  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  static Step[] measure(Path dir, int frames) throws Exception {
    FrameAnalysis frame =
        new FrameQuality(ImageLimits.DEFAULT).analyze(SyntheticScene.jpeg(1280, 720, 7, 85));
    try (EmbeddedS3Server server = StoreFixture.server(dir.resolve("s3"));
        MinioFrameStore store =
            StoreFixture.open(server, dir.resolve("data"), StoreFixture.bucket("healthcost"))) {
      CameraHealthRecords records = new CameraHealthRecords(store);
      // Warm-up: the JIT, the client's connections, the server's threads.
      run(records, "warm", frames, frame);
      long c0 = OS.getProcessCpuTime();
      long w0 = System.nanoTime();
      run(records, "camera", frames, frame);
      Step apply = step("apply (list, read, update, conditional write)", frames, c0, w0);
      long revision = store.cameraHealth("camera").orElseThrow().revision();
      c0 = OS.getProcessCpuTime();
      w0 = System.nanoTime();
      for (int i = 0; i < frames; i++) {
        store.cameraHealth("camera");
      }
      Step newest = step("newest record (list, read)", frames, c0, w0);
      c0 = OS.getProcessCpuTime();
      w0 = System.nanoTime();
      for (int i = 0; i < frames; i++) {
        store.cameraHealth("camera", revision);
      }
      Step read = step("read of a known revision", frames, c0, w0);
      byte[] json = store.cameraHealth("camera").orElseThrow().json();
      c0 = OS.getProcessCpuTime();
      w0 = System.nanoTime();
      for (int i = 0; i < frames; i++) {
        store.putCameraHealth(new CameraHealthRecord("camera", ++revision, json));
      }
      Step put = step("conditional write (old revisions pruned 4 at a time)", frames, c0, w0);
      CameraHealthRecords deferring = new CameraHealthRecords(store, Duration.ofSeconds(30));
      run(deferring, "deferred-warm", frames, frame, true);
      c0 = OS.getProcessCpuTime();
      w0 = System.nanoTime();
      run(deferring, "deferred", frames, frame, true);
      Step deferred =
          step(
              "applyDeferred, a frame every 10 s, written every 30 s (one read per frame)",
              frames,
              c0,
              w0);
      return new Step[] {apply, newest, read, put, deferred};
    }
  }

  private static void run(
      CameraHealthRecords records, String camera, int frames, FrameAnalysis frame)
      throws StorageException {
    run(records, camera, frames, frame, false);
  }

  private static void run(
      CameraHealthRecords records, String camera, int frames, FrameAnalysis frame, boolean deferred)
      throws StorageException {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < frames; i++) {
      Instant at = start.plusSeconds(10L * i);
      Function<CameraState, Optional<HealthUpdate>> change =
          s ->
              Optional.of(CameraHealth.update(s, frame, null, at, at, CameraHealthConfig.DEFAULTS));
      if (deferred) {
        records.applyDeferred(camera, at, change);
      } else {
        records.apply(camera, at, change);
      }
    }
  }

  private static Step step(String name, int n, long cpu0, long wall0) {
    return new Step(
        name, (OS.getProcessCpuTime() - cpu0) / 1e6 / n, (System.nanoTime() - wall0) / 1e6 / n);
  }

  public static void main(String[] args) throws Exception {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    Path dir = Files.createTempDirectory("cityvision-health-cost");
    System.out.printf(
        Locale.ROOT,
        "%d frames of one camera, embedded S3 store, load average %.2f before%n%n",
        frames,
        OS.getSystemLoadAverage());
    System.out.println("| step | process CPU ms per call | wall ms per call |");
    System.out.println("|---|---|---|");
    for (Step s : measure(dir, frames)) {
      System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f |%n", s.name(), s.cpuMs(), s.wallMs());
    }
  }
}
