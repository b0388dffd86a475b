package org.cityvision.serving.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameUpload;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.ConfigLoader;
import org.cityvision.serving.config.HttpConfig;
import org.cityvision.serving.config.LogConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.inference.InferenceService;
import org.cityvision.serving.ingest.ClassifiedFrames;

/**
 * The serving benchmark (issue 5): a real node on loopback with the production defaults (embedded
 * S3 store, 2 inference workers × 1 torch thread, single-image passes), driven by a Vert.x HTTP client in
 * the same JVM. Sorting path with 512x384 JPEGs at concurrency 1, 8 and 32 against the same
 * classifier called in-process at the same concurrency and against the matmul limit; camera path
 * with 1920x1080 frames including storage against the same work in-process; then an open-loop run
 * at 80% of the peak sorting rate for the tail. Every ratio compares figures from this one run;
 * each measurement runs {@code seconds}.
 */
public final class HttpBenchmark {
  private static final String KEY = "cvk_benchmark-admin-key-0000000000000000";

  private final Path waste;
  private final Path urban;
  private final Path wasteImages;
  private final double seconds;
  private final PrintStream progress;
  private final int cores = Runtime.getRuntime().availableProcessors();

  /**
   * @param waste the waste model package folder
   * @param urban the urban model package folder
   * @param wasteImages TrashNet JPEGs (512x384), or {@code null} for synthetic ones
   */
  public HttpBenchmark(Path waste, Path urban, Path wasteImages, double seconds, PrintStream progress) {
    this.waste = waste;
    this.urban = urban;
    this.wasteImages = wasteImages;
    this.seconds = seconds;
    this.progress = progress;
  }

  /**
   * The urban model package: the shipped one when present, else an untrained head on the pretrained
   * backbone (speed does not depend on trained weights) in a temporary folder.
   */
  public static Path urbanModel(Path shipped, Path backbone, int inputSize) throws Exception {
    if (Files.isRegularFile(shipped.resolve(ModelPackage.SPEC_FILE))) {
      return shipped;
    }
    Path dir = Files.createTempDirectory("cityvision-bench-urban");
    List<String> labels = List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal");
    var spec = new org.cityvision.core.model.ModelSpec("urban", "untrained", "urban", labels,
        InputSpec.mobileNet(inputSize), new org.cityvision.core.model.BackboneSpec("mobilenet_edgetpu_0.75_224", 1280,
            1.246), "model", new org.cityvision.core.model.Thresholds(0, Map.of("graffiti", 0.5)), null, null);
    try (ai.djl.Model m = ModelPackage.fromPretrained(backbone, "urban", labels.size())) {
      return ModelPackage.save(dir, spec, m).dir();
    }
  }

  public String run() throws Exception {
    List<byte[]> photos = photos();
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      frames.add(SyntheticScene.jpeg(1920, 1080, 2000 + i, 85));
    }
    Path data = Files.createTempDirectory("cityvision-bench-http");
    // CITYVISION_* settings from the environment apply, e.g. CITYVISION_INFERENCE_MAX_BATCH=1 to measure without batching.
    ServerConfig defaults = ConfigLoader.load(null, System.getenv(), data);
    HttpConfig h = defaults.http();
    ServerConfig config = defaults.withData(data)
        .withHttp(new HttpConfig("127.0.0.1", 0, h.bodyLimitBytes(), h.maxHeaderBytes(), h.requestTimeoutMs(),
            h.shutdownGraceMs(), h.eventLoops()))
        .withModels(new ModelsConfig(waste.toString(), urban.toString(), true))
        .withAuth(new AuthConfig(0, 1, 60_000))
        .withLog(new LogConfig(false));
    step("starting a node (" + config.inference() + ")");
    ServingNode node = ServingNode.start(config, Secrets.NONE.withAdminKey(KEY)).toCompletionStage()
        .toCompletableFuture().get(300, TimeUnit.SECONDS);
    Vertx clientVertx = Vertx.vertx();
    StringBuilder report = new StringBuilder();
    try {
      Classifier sorter = node.models().task("waste").orElseThrow().classifier();
      ModelPackage pkg = node.models().task("waste").orElseThrow().pkg();
      double gflops = pkg.spec().backbone().gflopsPerImage();
      step("matmul peak");
      double peak = PhysicalLimit.matmulGflops(cores, seconds / 3);
      TorchRuntime.start(config.inference().torchThreads());
      double limit = gflops > 0 ? peak / gflops : Double.NaN;
      report.append("Node: production defaults unless CITYVISION_* says otherwise (").append(config.inference().workers()).append(" inference workers × ")
          .append(config.inference().torchThreads()).append(" torch thread, batch ≤ ").append(config.inference().maxBatch())
          .append(", ").append(config.inference().maxDelayMs()).append(" ms), embedded S3 store, access log off; ")
          .append("model `").append(pkg.spec().name()).append("` ").append(pkg.spec().version()).append(" at ")
          .append(pkg.spec().input().width()).append("x").append(pkg.spec().input().height()).append(" (")
          .append(gflops).append(" GFLOP/image); ").append(cores).append(" cores; client in the same JVM over ")
          .append("loopback; ").append(seconds).append(" s per measurement; OpenCV threads ")
          .append(org.cityvision.core.image.OpenCvRuntime.threads()).append(".\n\n");
      report.append("Physical limit: float32 matmul 2048x2048 through libtorch = ").append(Table.format(peak))
          .append(" GFLOP/s with ").append(cores).append(" threads → ").append(Table.format(limit))
          .append(" images/s.\n\n");

      HttpClient client = clientVertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(node.port()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
      Table sorting = new Table("concurrency", "HTTP req/s", "p50 ms", "p99 ms", "in-process img/s",
          "HTTP ÷ in-process", "HTTP ÷ physical limit", "errors");
      double best = 0;
      for (int c : new int[] {1, 8, 32}) {
        step("sorting path over HTTP, concurrency " + c);
        closedLoop(client, "/v1/classify/waste", photos, c, 1.0);
        Run http = closedLoop(client, "/v1/classify/waste", photos, c, seconds);
        step("in-process classifier, concurrency " + c);
        Run local = inProcess(c, photos, bytes -> sorter.classify(bytes));
        best = Math.max(best, http.rate());
        sorting.row(c, http.rate(), http.latencies().percentileMillis(50), http.latencies().percentileMillis(99),
            local.rate(), http.rate() / local.rate(), http.rate() / limit, http.errors());
      }
      report.append("### Sorting path: `POST /v1/classify/waste`, 512x384 JPEGs\n\n").append(sorting.markdown())
          .append('\n');

      step("open loop at 80% of " + Table.format(best) + " req/s");
      // Three times as long as the other measurements: a p99 needs more than a few hundred requests.
      Run open = openLoop(client, "/v1/classify/waste", photos, 0.8 * best, 3 * seconds);
      Table tail = new Table("offered req/s", "served req/s", "p50 ms", "p99 ms", "p99 ÷ p50", "errors");
      double p50 = open.latencies().percentileMillis(50);
      double p99 = open.latencies().percentileMillis(99);
      tail.row(0.8 * best, open.rate(), p50, p99, p99 / p50, open.errors());
      report.append("### Tail at 80% of the peak sorting rate (open loop for " + Table.format(3 * seconds)
          + " s, latency from the scheduled send time)\n\n")
          .append(tail.markdown()).append('\n');

      Classifier camera = node.models().task("urban").orElseThrow().classifier();
      FrameStore store = node.store();
      Table frameTable = new Table("concurrency", "HTTP frames/s", "p50 ms", "p99 ms", "in-process frames/s",
          "HTTP ÷ in-process", "errors");
      int c = 8;
      step("camera path over HTTP, concurrency " + c);
      closedLoop(client, "/v1/cameras/bench-cam/frames", frames, c, 1.0);
      Run http = closedLoop(client, "/v1/cameras/bench-cam/frames", frames, c, seconds);
      step("camera path in-process, concurrency " + c);
      Run local = inProcess(c, frames, bytes -> storeFrame(camera, store, bytes, config.ingest().thumbnailMaxSide(),
          config.ingest().thumbnailQuality()));
      frameTable.row(c, http.rate(), http.latencies().percentileMillis(50), http.latencies().percentileMillis(99),
          local.rate(), http.rate() / local.rate(), http.errors());
      report.append("### Camera path: `POST /v1/cameras/{id}/frames`, 1920x1080 JPEGs, with storage\n\n")
          .append(frameTable.markdown()).append('\n')
          .append("In-process camera path: reduced decode, preprocess, thumbnail, classify, `putFrame`, ")
          .append("`putResult` with the stored result format and `createFlag` when the flag rule says so, on the same ")
          .append("store: the endpoint's work without HTTP, auth or idempotency.\n");
      client.close();
    } finally {
      clientVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      node.shutdown().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    }
    return report.toString();
  }

  private record Run(double rate, LatencyRecorder latencies, long errors) {}

  /** {@code concurrency} requests always outstanding for {@code secs}. */
  private Run closedLoop(HttpClient client, String path, List<byte[]> bodies, int concurrency, double secs)
      throws InterruptedException {
    LatencyRecorder latencies = new LatencyRecorder();
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicInteger next = new AtomicInteger();
    long start = System.nanoTime();
    long end = start + (long) (secs * 1e9);
    CountDownLatch done = new CountDownLatch(concurrency);
    for (int i = 0; i < concurrency; i++) {
      loop(client, path, bodies, next, end, latencies, ok, errors, done);
    }
    done.await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Run(ok.get() / elapsed, latencies, errors.get());
  }

  private void loop(HttpClient client, String path, List<byte[]> bodies, AtomicInteger next, long end,
      LatencyRecorder latencies, AtomicLong ok, AtomicLong errors, CountDownLatch done) {
    if (System.nanoTime() >= end) {
      done.countDown();
      return;
    }
    long t0 = System.nanoTime();
    send(client, path, bodies.get(Math.floorMod(next.getAndIncrement(), bodies.size()))).onComplete(ar -> {
      if (ar.succeeded() && ar.result() < 300) {
        ok.incrementAndGet();
        latencies.record(System.nanoTime() - t0);
      } else {
        errors.incrementAndGet();
      }
      loop(client, path, bodies, next, end, latencies, ok, errors, done);
    });
  }

  /** Requests sent at a fixed rate whatever the answers; latency counts from the scheduled time. */
  private Run openLoop(HttpClient client, String path, List<byte[]> bodies, double rate, double secs)
      throws InterruptedException {
    LatencyRecorder latencies = new LatencyRecorder();
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long interval = (long) (1e9 / rate);
    int total = (int) (secs * rate);
    CountDownLatch done = new CountDownLatch(total);
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long scheduled = start + i * interval;
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      send(client, path, bodies.get(i % bodies.size())).onComplete(ar -> {
        if (ar.succeeded() && ar.result() < 300) {
          ok.incrementAndGet();
          latencies.record(System.nanoTime() - scheduled);
        } else {
          errors.incrementAndGet();
        }
        done.countDown();
      });
    }
    done.await(60, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Run(ok.get() / elapsed, latencies, errors.get());
  }

  private static Future<Integer> send(HttpClient client, String path, byte[] body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
        .putHeader("Authorization", "Bearer " + KEY).putHeader("Content-Type", "image/jpeg");
    return client.request(options)
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> resp.statusCode()));
  }

  private interface Work {
    void run(byte[] bytes) throws Exception;
  }

  /** {@code concurrency} threads calling {@code work} for {@code seconds}. */
  private Run inProcess(int concurrency, List<byte[]> inputs, Work work) throws InterruptedException {
    LatencyRecorder latencies = new LatencyRecorder();
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime();
    long warm = start + 1_000_000_000L;
    long end = warm + (long) (seconds * 1e9);
    AtomicLong counted = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < concurrency; t++) {
      int offset = t;
      Thread thread = new Thread(() -> {
        int i = offset;
        while (System.nanoTime() < end) {
          long t0 = System.nanoTime();
          try {
            work.run(inputs.get(i++ % inputs.size()));
            if (t0 >= warm) {
              counted.incrementAndGet();
              latencies.record(System.nanoTime() - t0);
            }
            ok.incrementAndGet();
          } catch (Exception e) {
            errors.incrementAndGet();
          }
        }
      }, "bench-local-" + t);
      threads.add(thread);
      thread.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - warm) / 1e9;
    return new Run(counted.get() / elapsed, latencies, errors.get());
  }

  /** What the camera endpoint does after reading the body, without HTTP, auth or idempotency: same writes, same flags. */
  private static void storeFrame(Classifier classifier, FrameStore store, byte[] bytes, int thumbSide, int quality)
      throws Exception {
    InferenceService.Prepared prepared = InferenceService.prepare(classifier, bytes, thumbSide, quality, false);
    Classification c = classifier.submitAndRecycle(prepared.tensor()).get();
    ClassifiedFrames.write(store, new FrameUpload("bench-local", null, "image/jpeg", bytes, prepared.thumbnail()), c,
        classifier.spec().thresholds(), Instant.now(Clock.systemUTC()));
  }

  private List<byte[]> photos() throws Exception {
    List<byte[]> loaded = new ArrayList<>();
    if (wasteImages != null && Files.isDirectory(wasteImages)) {
      try (Stream<Path> files = Files.walk(wasteImages)) {
        List<Path> jpegs = files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        int step = Math.max(1, jpegs.size() / 48);
        for (int i = 0; i < jpegs.size() && loaded.size() < 48; i += step) {
          loaded.add(Files.readAllBytes(jpegs.get(i)));
        }
      }
    }
    while (loaded.size() < 48) {
      loaded.add(SyntheticScene.jpeg(512, 384, loaded.size(), 90));
    }
    return loaded;
  }

  private void step(String what) {
    progress.println("bench http: " + what + " ...");
  }
}
