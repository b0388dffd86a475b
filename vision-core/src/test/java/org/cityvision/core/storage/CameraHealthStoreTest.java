package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.quality.CameraCondition;
import org.cityvision.core.quality.CameraHealth;
import org.cityvision.core.quality.CameraHealthConfig;
import org.cityvision.core.quality.CameraHealthRecords;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.FrameAnalysis;
import org.cityvision.core.quality.FrameQuality;
import org.cityvision.core.quality.HealthUpdate;
import org.cityvision.core.quality.QualityFault;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * Camera health records in a real S3 server: revisions written once, newest read, two nodes at
 * once.
 */
class CameraHealthStoreTest {
  private static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @BeforeAll
  static void startServer() throws Exception {
    server = StoreFixture.server(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** One analysed frame of a plain synthetic scene. */
  private static FrameAnalysis plainFrame() throws Exception {
    return new FrameQuality(ImageLimits.DEFAULT).analyze(SyntheticScene.jpeg(640, 360, 3, 85));
  }

  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aRevisionIsWrittenOnceAndTheNewestIsRead(TestInfo info, @TempDir Path node)
      throws Exception {
    try (MinioFrameStore store =
        StoreFixture.open(server, node, StoreFixture.bucket(info.getDisplayName()))) {
      assertEquals(Optional.empty(), store.cameraHealth("cam-1"));
      for (long r = 1; r <= 9; r++) {
        store.putCameraHealth(new CameraHealthRecord("cam-1", r, json("{\"r\":" + r + "}")));
      }
      CameraHealthRecord newest = store.cameraHealth("cam-1").orElseThrow();
      assertEquals(9, newest.revision());
      assertEquals("{\"r\":9}", new String(newest.json(), StandardCharsets.UTF_8));
      assertThrows(
          ConflictException.class,
          () ->
              store.putCameraHealth(new CameraHealthRecord("cam-1", 9, json("{\"r\":\"late\"}"))));
      assertEquals(
          List.of(
              StorageKeys.cameraHealth("cam-1", 9),
              StorageKeys.cameraHealth("cam-1", 8),
              StorageKeys.cameraHealth("cam-1", 7),
              StorageKeys.cameraHealth("cam-1", 6)),
          store.bucket().listKeys(StorageKeys.cameraHealthPrefix("cam-1"), 100),
          "old revisions pruned four at a time at every fourth revision");
      store.putCameraHealth(new CameraHealthRecord("cam-0", 1, json("{}")));
      assertEquals(List.of("cam-0", "cam-1"), store.listCameraHealth(null, 10).items());
    }
  }

  @Test
  void twoNodesUpdatingOneCameraLoseNoUpdate(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getDisplayName());
    FrameAnalysis frame = plainFrame();
    int perNode = 12;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      List<Future<Object>> runs = new ArrayList<>();
      for (MinioFrameStore store : List.of(a, b)) {
        CameraHealthRecords records = new CameraHealthRecords(store);
        runs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perNode; i++) {
                    Instant at = T0.plusSeconds(i);
                    records.apply(
                        "cam-9",
                        at,
                        s ->
                            Optional.of(
                                CameraHealth.update(
                                    s, frame, null, null, at, CameraHealthConfig.DEFAULTS)));
                  }
                  return null;
                }));
      }
      for (Future<Object> run : runs) {
        run.get();
      }
      CameraState state = new CameraHealthRecords(b).read("cam-9").orElseThrow();
      assertEquals(2 * perNode, state.frames(), "every frame from both nodes counted once");
    } finally {
      pool.shutdownNow();
    }
  }

  private static Optional<HealthUpdate> observe(
      CameraHealthRecords records, String camera, FrameAnalysis frame, Instant at)
      throws StorageException {
    return records.applyDeferred(
        camera,
        at,
        s ->
            Optional.of(
                CameraHealth.update(s, frame, null, null, at, CameraHealthConfig.DEFAULTS)));
  }

  @Test
  void countersWaitInTheNodeUntilTheyAreDueAndAFaultIsWrittenAtOnce(
      TestInfo info, @TempDir Path node) throws Exception {
    FrameQuality quality = new FrameQuality(ImageLimits.DEFAULT);
    FrameAnalysis frame = quality.analyze(SyntheticScene.jpeg(640, 360, 3, 85));
    FrameAnalysis black =
        quality.analyze(
            SyntheticScene.encode(
                Mat.zeros(360, 640, CvType.CV_8UC3), ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 85));
    try (MinioFrameStore store =
        StoreFixture.open(server, node, StoreFixture.bucket(info.getDisplayName()))) {
      CameraHealthRecords records = new CameraHealthRecords(store, Duration.ofSeconds(30));
      for (int i = 0; i < 6; i++) {
        observe(records, "cam-d", frame, T0.plusSeconds(2L * i));
      }
      // The camera's first frame was written; the other five wait in the node's copy.
      assertEquals(1, store.newestCameraHealthRevision("cam-d"));
      assertEquals(1, records.queuedCameras());
      assertEquals(6, records.read("cam-d").orElseThrow().frames(), "the node reads its copy");
      assertEquals(
          1,
          new CameraHealthRecords(store).read("cam-d").orElseThrow().frames(),
          "another node reads the store");
      assertEquals(0, records.flushDue(T0.plusSeconds(29)), "not due before 30 s");
      assertEquals(1, records.flushDue(T0.plusSeconds(30)));
      assertEquals(2, store.newestCameraHealthRevision("cam-d"));
      assertEquals(6, new CameraHealthRecords(store).read("cam-d").orElseThrow().frames());
      assertEquals(0, records.queuedCameras());

      observe(records, "cam-d", frame, T0.plusSeconds(32));
      HealthUpdate update = observe(records, "cam-d", black, T0.plusSeconds(34)).orElseThrow();
      assertEquals(List.of(QualityFault.BLACK), update.faults());
      assertEquals(3, store.newestCameraHealthRevision("cam-d"), "a fault is written at once");
      CameraState stored = new CameraHealthRecords(store).read("cam-d").orElseThrow();
      assertEquals(8, stored.frames(), "with the frame that waited before it");
      assertEquals(List.of(QualityFault.BLACK), stored.lastFaults());
    }
  }

  @Test
  void aCameraWhoseFramesComeThroughTwoNodesIsWrittenAtEveryFrame(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getDisplayName());
    FrameAnalysis frame = plainFrame();
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      CameraHealthRecords onA = new CameraHealthRecords(a, Duration.ofSeconds(10));
      CameraHealthRecords onB = new CameraHealthRecords(b, Duration.ofSeconds(10));
      // Frames alternate between the nodes: node A's second frame finds node B's revision after
      // its copy, applies itself to the newest record, and from then on both nodes write every
      // frame at once, so that each judges from all of them.
      for (int i = 0; i < 40; i++) {
        observe(i % 2 == 0 ? onA : onB, "cam-2", frame, T0.plusSeconds(i));
        assertEquals(0, onA.queuedCameras() + onB.queuedCameras(), "frame " + i);
      }
      assertEquals(40, a.newestCameraHealthRevision("cam-2"));
      CameraState state = new CameraHealthRecords(b).read("cam-2").orElseThrow();
      assertEquals(40, state.frames(), "every frame from both nodes counted once");
      assertEquals(T0.plusSeconds(39), state.lastReceivedAt());
    }
  }

  @Test
  void queuedFramesWrittenOnARecordAnotherNodeMarkedSilentReportTheRecovery(
      TestInfo info, @TempDir Path node) throws Exception {
    FrameAnalysis frame = plainFrame();
    try (MinioFrameStore store =
        StoreFixture.open(server, node, StoreFixture.bucket(info.getDisplayName()))) {
      CameraHealthRecords records = new CameraHealthRecords(store, Duration.ofSeconds(30));
      for (int i = 0; i < 3; i++) {
        observe(records, "cam-q", frame, T0.plusSeconds(2L * i));
      }
      assertEquals(1, records.queuedCameras());
      // Another node's sweep, an hour on, finds only the first frame and marks the camera silent.
      Instant later = T0.plusSeconds(3600);
      new CameraHealthRecords(store)
          .apply("cam-q", later, s -> CameraHealth.sweep(s, later, CameraHealthConfig.DEFAULTS));
      assertEquals(
          CameraCondition.SILENT,
          new CameraHealthRecords(store).read("cam-q").orElseThrow().condition());
      List<HealthUpdate> written = new ArrayList<>();
      assertEquals(1, records.flushDue(later, written::add));
      CameraState stored = new CameraHealthRecords(store).read("cam-q").orElseThrow();
      assertEquals(3, stored.frames(), "the queued frames applied to the newest record");
      assertEquals(CameraCondition.OK, stored.condition());
      assertEquals(1, written.size(), "the flush hands over the state change it wrote");
      assertEquals(CameraCondition.OK, written.get(0).transitions().get(0).to());
    }
  }
}
