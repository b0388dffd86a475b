package org.cityvision.serving.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.classify.AuditSampler;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassificationJson;
import org.cityvision.core.classify.ClassifiedFrames;
import org.cityvision.core.classify.FlagGrouping;
import org.cityvision.core.classify.FlagPolicy;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.quality.CameraHealthConfig;
import org.cityvision.core.quality.CameraHealthRecords;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.cameras.CameraEvents;
import org.cityvision.serving.cameras.CameraHealthService;
import org.cityvision.serving.cameras.CameraRoutes;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.testing.AreaServer;
import org.opencv.core.Mat;

/**
 * A review server for one test: a store on its own bucket of a shared S3 server, the review API and
 * page behind the API's router and authentication on a real Vert.x HTTP server on 127.0.0.1 (port
 * 0), keys for two reviewers, an admin and a camera. Closing it closes the HTTP server, the worker
 * and the store.
 */
final class ReviewServer implements AutoCloseable {
  static final String ALICE = "alice-key-0123456789";
  static final String BOB = "bob-key-0123456789";
  static final String ADMIN = "admin-key-0123456789";
  static final String CAMERA = "camera-key-0123456789";
  static final List<String> LABELS =
      List.of("flooding", "garbage_dumping", "graffiti", "normal", "pothole_road_damage");
  private static final AtomicInteger BUCKETS = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();

  final FrameStore store;
  final String bucket;
  final WorkerExecutor worker;
  final AreaServer server;
  final URI base;
  final HttpClient http = HttpClient.newHttpClient();

  /** Camera health behind {@code /v1/cameras...}, or {@code null} for a review-only server. */
  final CameraHealthService cameras;

  private ReviewServer(
      FrameStore store,
      String bucket,
      WorkerExecutor worker,
      AreaServer server,
      CameraHealthService cameras) {
    this.store = store;
    this.bucket = bucket;
    this.worker = worker;
    this.server = server;
    this.base = server.base();
    this.cameras = cameras;
  }

  static ReviewServer start(Vertx vertx, EmbeddedS3Server s3, Path dataDir, ReviewEvents events)
      throws Exception {
    return start(vertx, s3, dataDir, events, newBucket(), Duration.ofMinutes(10));
  }

  /** As {@link #start(Vertx, EmbeddedS3Server, Path, ReviewEvents)}, with this reopen window. */
  static ReviewServer start(
      Vertx vertx, EmbeddedS3Server s3, Path dataDir, ReviewEvents events, Duration reopenWindow)
      throws Exception {
    return start(vertx, s3, dataDir, events, newBucket(), reopenWindow);
  }

  /**
   * A review node on {@code bucket}: a second one on the bucket of another is a second serving node
   * sharing its store. Its live feed's streams last 5 s, so clients reconnect often.
   */
  static ReviewServer start(
      Vertx vertx, EmbeddedS3Server s3, Path dataDir, ReviewEvents events, String bucket)
      throws Exception {
    return start(vertx, s3, dataDir, events, bucket, Duration.ofMinutes(10));
  }

  /**
   * A review server that also serves camera health ({@code /v1/cameras...}, {@code
   * /v1/camera-alerts}) over its store with the default thresholds: {@link #cameras} observes
   * frames as ingest does.
   */
  static ReviewServer startWithCameras(
      Vertx vertx, EmbeddedS3Server s3, Path dataDir, ReviewEvents events) throws Exception {
    return start(vertx, s3, dataDir, events, newBucket(), Duration.ofMinutes(10), true);
  }

  private static String newBucket() {
    return "review-" + BUCKETS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
  }

  private static ReviewServer start(
      Vertx vertx,
      EmbeddedS3Server s3,
      Path dataDir,
      ReviewEvents events,
      String bucket,
      Duration reopenWindow)
      throws Exception {
    return start(vertx, s3, dataDir, events, bucket, reopenWindow, false);
  }

  private static ReviewServer start(
      Vertx vertx,
      EmbeddedS3Server s3,
      Path dataDir,
      ReviewEvents events,
      String bucket,
      Duration reopenWindow,
      boolean withCameras)
      throws Exception {
    FrameStore store =
        FrameStores.open(
            StorageConfig.embedded(dataDir)
                .withEndpoint(s3.endpoint(), s3.accessKey(), s3.secretKey())
                .withBucket(bucket)
                .withRequestTimeout(Duration.ofSeconds(5)));
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    if (store.apiKey("alice").isEmpty()) {
      store.createApiKey(new ApiKeyRecord("alice", KeyRole.REVIEWER, ApiKeys.hash(ALICE), t));
      store.createApiKey(new ApiKeyRecord("bob", KeyRole.REVIEWER, ApiKeys.hash(BOB), t));
      store.createApiKey(new ApiKeyRecord("root", KeyRole.ADMIN, ApiKeys.hash(ADMIN), t));
      store.createApiKey(new ApiKeyRecord("cam-key", KeyRole.CAMERA, ApiKeys.hash(CAMERA), t));
    }
    WorkerExecutor worker = vertx.createSharedWorkerExecutor("review-test-io", 8);
    ReviewDeps deps = new ReviewDeps(store, worker, events, LABELS);
    List<ApiArea> areas = new ArrayList<>();
    areas.add(ReviewRoutes.area(deps, 5_000, reopenWindow));
    areas.add(ReviewPage.area());
    CameraHealthService cameras = null;
    if (withCameras) {
      cameras =
          new CameraHealthService(
              ImageLimits.DEFAULT,
              new CameraHealthRecords(store),
              CameraHealthConfig.DEFAULTS,
              CameraEvents.NONE,
              Clock.systemUTC());
      areas.add(new CameraRoutes(cameras, worker).area());
    }
    AreaServer server = AreaServer.start(vertx, store, dataDir, areas);
    return new ReviewServer(store, bucket, worker, server, cameras);
  }

  /**
   * Stores a frame with a thumbnail and an urban result, and flags it.
   *
   * @param minutes flagged this many minutes after 2025-06-01T12:00Z (captured a minute before)
   */
  FlagRecord flagged(String camera, String label, double score, int minutes) throws Exception {
    Instant flaggedAt = Instant.parse("2025-06-01T12:00:00Z").plus(Duration.ofMinutes(minutes));
    FrameRecord frame =
        store.putFrame(
            new FrameUpload(
                camera,
                flaggedAt.minusSeconds(60),
                "image/jpeg",
                TestImages.jpeg(640, 360, minutes),
                TestImages.jpeg(160, 90, minutes)));
    store.putResult(
        new ResultRecord(
            frame.frameId(),
            "urban",
            "1.0.0",
            flaggedAt,
            ClassificationJson.toJson(classification(label, score))));
    return store.createFlag(
        FlagRecord.open(frame.frameId(), label, score, "urban", "1.0.0", flaggedAt));
  }

  /**
   * Stores a frame of a still scene through the classified-frame write path (as ingest does), with
   * the default near-duplicate grouping, flagged as {@code label}: each {@code shot} of one {@code
   * scene} is the same view with new sensor noise, so its flags group.
   *
   * @param seconds captured this many seconds after 2025-06-01T12:00Z (flagged a second later)
   */
  FlagRecord flaggedShot(String camera, long scene, int shot, String label, int seconds)
      throws Exception {
    Instant capturedAt = Instant.parse("2025-06-01T12:00:00Z").plusSeconds(seconds);
    Mat view = SyntheticScene.render(640, 360, scene);
    Mat small = SyntheticScene.render(160, 90, scene);
    try {
      FrameUpload upload =
          new FrameUpload(
              camera,
              capturedAt,
              "image/jpeg",
              SyntheticScene.noisyJpeg(view, 1.0, 3, shot, 90),
              SyntheticScene.noisyJpeg(small, 1.0, 3, shot, 80));
      FlagPolicy policy = new FlagPolicy(new Thresholds(0.5, Map.of(label, 0.5)));
      return new ClassifiedFrames(store, f -> {}, AuditSampler.NONE, FlagGrouping.DEFAULT)
          .storeNew(upload, classification(label, 0.9), policy, capturedAt.plusSeconds(1))
          .flag()
          .orElseThrow();
    } finally {
      view.release();
      small.release();
    }
  }

  private static Classification classification(String label, double score) {
    double rest = (1 - score) / (LABELS.size() - 1);
    List<Double> probabilities = LABELS.stream().map(l -> l.equals(label) ? score : rest).toList();
    List<LabelScore> top = new ArrayList<>();
    top.add(new LabelScore(label, score));
    LABELS.stream()
        .filter(l -> !l.equals(label))
        .limit(2)
        .forEach(l -> top.add(new LabelScore(l, rest)));
    return new Classification(label, score, top, probabilities, LABELS, "urban", "1.0.0", 1, null);
  }

  HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> getBytes(String path, String key) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + key).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> post(String path, String key, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The JSON body of a response that must have {@code status}. */
  static JsonNode json(HttpResponse<String> response, int status) throws IOException {
    if (response.statusCode() != status) {
      throw new AssertionError(
          "expected HTTP "
              + status
              + " from "
              + response.request().method()
              + " "
              + response.uri()
              + ", got "
              + response.statusCode()
              + ": "
              + response.body());
    }
    return JSON.readTree(response.body());
  }

  static String verdict(String verdict) {
    return "{\"verdict\":\"" + verdict.toLowerCase(Locale.ROOT) + "\"}";
  }

  @Override
  public void close() throws Exception {
    try {
      server.close();
      worker.close().await(30, TimeUnit.SECONDS);
    } finally {
      store.close();
    }
  }
}
