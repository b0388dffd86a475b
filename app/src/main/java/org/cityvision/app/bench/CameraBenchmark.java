package org.cityvision.app.bench;

import com.sun.management.OperatingSystemMXBean;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.Page;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.ConfigLoader;
import org.cityvision.serving.config.HttpConfig;
import org.cityvision.serving.config.IngestConfig;
import org.cityvision.serving.config.LogConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.opencv.core.Mat;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;

/**
 * {@code cityvision bench cameras}: a real node on loopback (embedded S3 store, the urban model,
 * static-frame gating on) and N simulated cameras posting 1280×720 JPEGs over HTTP, each every
 * {@code interval} seconds, open loop (a slow answer does not slow the camera). Cameras are static
 * (one view with sensor noise and slow light changes), busy (objects moving through the view) or
 * faulty (normal for their first {@value #FAULT_AFTER} frames, then black or covered). Reports the
 * sustained rate of accepted frames, ingest latency, the process's CPU per frame, frames lost
 * (every 201 answer's frame must be in the store: counted by listing it) and the faults the node
 * found against those injected.
 *
 * <p>Frames are rendered before the clock starts ({@value #SCENES} scenes × {@value #VARIANTS}
 * variants each), so the load generator spends its CPU on HTTP only; it runs in the node's JVM and
 * its CPU is in the figure.
 */
public final class CameraBenchmark {
  private static final String KEY = "cvk_camera-benchmark-admin-key-000000000000";
  private static final int WIDTH = 1280;
  private static final int HEIGHT = 720;
  private static final int SCENES = 12;
  private static final int VARIANTS = 6;

  /** Every tenth camera gets a fault, after this many normal frames (a baseline needs 5). */
  static final int FAULTY_EVERY = 10;

  static final int FAULT_AFTER = 8;

  /**
   * What to simulate.
   *
   * @param cameras how many cameras
   * @param intervalSeconds seconds between one camera's frames
   * @param staticShare share of the healthy cameras watching a static scene (0..1)
   * @param seconds how long the cameras post
   * @param warmUp first send every camera's first frame, a few at a time, retrying refusals, so
   *     that the measured part starts from a node that knows every camera and holds a result each
   *     static camera can reuse (a node that has been running), not from a cold one
   */
  public record Settings(
      int cameras, double intervalSeconds, double staticShare, double seconds, boolean warmUp) {
    public Settings(int cameras, double intervalSeconds, double staticShare, double seconds) {
      this(cameras, intervalSeconds, staticShare, seconds, false);
    }

    public Settings {
      if (cameras < 1 || cameras > 100_000) {
        throw new IllegalArgumentException("--cameras must be 1..100000, got " + cameras);
      }
      if (!(intervalSeconds >= 0.1 && intervalSeconds <= 3600)) {
        throw new IllegalArgumentException(
            "--interval must be 0.1..3600 seconds, got " + intervalSeconds);
      }
      if (!(staticShare >= 0 && staticShare <= 1)) {
        throw new IllegalArgumentException("--static-share must be 0..1, got " + staticShare);
      }
      if (!(seconds >= 1 && seconds <= 3600)) {
        throw new IllegalArgumentException("--seconds must be 1..3600, got " + seconds);
      }
    }
  }

  enum Kind {
    STATIC,
    BUSY,
    BLACK,
    COVERED
  }

  /**
   * What a run measured (the warm-up's frames not counted).
   *
   * @param reused accepted frames answered with their camera's earlier result
   * @param lost frames answered 201 whose id is not in the store (must be 0)
   * @param found faulty cameras in state {@code fault} at the end
   * @param injected faulty cameras that sent at least two faulty frames (enough to confirm a fault)
   * @param falseStates healthy cameras in any state but {@code ok} at the end
   * @param markdown the report
   */
  public record Result(
      long sent,
      long accepted,
      long reused,
      long errors,
      long lost,
      int found,
      int injected,
      int falseStates,
      String markdown) {}

  private final Path waste;
  private final Path urban;
  private final Settings settings;
  private final PrintStream progress;

  public CameraBenchmark(Path waste, Path urban, Settings settings, PrintStream progress) {
    this.waste = waste;
    this.urban = urban;
    this.settings = settings;
    this.progress = progress;
  }

  /** Camera {@code i}'s kind: every {@value #FAULTY_EVERY}th faulty, the others static by share. */
  static Kind kind(int i, double staticShare) {
    if (i % FAULTY_EVERY == FAULTY_EVERY - 1) {
      return (i / FAULTY_EVERY) % 2 == 0 ? Kind.BLACK : Kind.COVERED;
    }
    int healthy = i - i / FAULTY_EVERY;
    // Spread static cameras evenly: camera k is static when floor((k+1)·F) > floor(k·F).
    return Math.floor((healthy + 1) * staticShare) > Math.floor(healthy * staticShare)
        ? Kind.STATIC
        : Kind.BUSY;
  }

  static String cameraId(int i) {
    return String.format("bcam-%05d", i);
  }

  public Result run() throws Exception {
    step("rendering " + SCENES + " scenes × " + VARIANTS + " variants at " + WIDTH + "x" + HEIGHT);
    Frames frames = Frames.render();
    Path data = Files.createTempDirectory("cityvision-bench-cameras");
    ServerConfig defaults = ConfigLoader.load(null, System.getenv(), data);
    HttpConfig h = defaults.http();
    IngestConfig i = defaults.ingest();
    // Gating on unless the environment set it: static cameras are what this measures.
    long reuseFor = i.reuseForSeconds() > 0 ? i.reuseForSeconds() : 600;
    ServerConfig config =
        defaults
            .withData(data)
            .withHttp(h.withAddress("127.0.0.1", 0))
            .withModels(new ModelsConfig(waste.toString(), urban.toString(), true))
            .withAuth(new AuthConfig(0, 1, 60_000))
            .withLog(new LogConfig(false))
            .withIngest(
                new IngestConfig(
                    i.unknownCameras(),
                    i.cameras(),
                    i.thumbnailMaxSide(),
                    i.thumbnailQuality(),
                    i.idempotencyWaitMs(),
                    i.ioThreads(),
                    reuseFor,
                    i.staticFrames(),
                    i.maxInFlight()));
    step("starting a node");
    StorageEndpoint storage = StorageEndpoint.of(config, Secrets.NONE.withAdminKey(KEY));
    ServingNode node =
        ServingNode.start(storage.config(), storage.secrets())
            .toCompletionStage()
            .toCompletableFuture()
            .get(300, TimeUnit.SECONDS);
    node.warmedUp().toCompletionStage().toCompletableFuture().get(660, TimeUnit.SECONDS);
    String loadBefore = loadAverage();
    ExecutorService senders = Executors.newFixedThreadPool(4);
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(senders)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
    LatencyRecorder latency = new LatencyRecorder();
    AtomicLong accepted = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong reused = new AtomicLong();
    AtomicLong inFlight = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    Map<String, Integer> refusals = new ConcurrentHashMap<>();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    String base = "http://127.0.0.1:" + node.port();
    StringBuilder report = new StringBuilder();
    Result result;
    try {
      step(
          settings.cameras()
              + " cameras, one frame each per "
              + settings.intervalSeconds()
              + " s, for "
              + settings.seconds()
              + " s");
      long warmUpSeconds = 0;
      if (settings.warmUp()) {
        step(
            "warm-up: every camera's first frame, "
                + config.ingest().maxInFlight()
                + " at a time (ingest.maxInFlight)");
        long t0 = System.nanoTime();
        warmUp(frames, client, base, config.ingest().maxInFlight(), acknowledged);
        warmUpSeconds = Math.round((System.nanoTime() - t0) / 1e9);
      }
      long first = settings.warmUp() ? 1 : 0;
      long cpuStart = os.getProcessCpuTime();
      long start = System.nanoTime();
      long end = start + (long) (settings.seconds() * 1e9);
      long interval = (long) (settings.intervalSeconds() * 1e9);
      for (int c = 0; c < settings.cameras(); c++) {
        int camera = c;
        Kind kind = kind(c, settings.staticShare());
        long offset = interval * c / settings.cameras();
        long[] frameNo = {first};
        clock.scheduleAtFixedRate(
            () -> {
              if (System.nanoTime() >= end) {
                return;
              }
              byte[] body = frames.frame(camera, kind, frameNo[0]++);
              HttpRequest request = frameRequest(base, camera, body);
              long sentAt = System.nanoTime();
              sent.incrementAndGet();
              inFlight.incrementAndGet();
              client
                  .sendAsync(request, HttpResponse.BodyHandlers.ofString())
                  .whenComplete(
                      (r, e) -> {
                        long took = System.nanoTime() - sentAt;
                        if (e == null && r.statusCode() == 201) {
                          accepted.incrementAndGet();
                          latency.record(took);
                          JsonObject answer = new JsonObject(r.body());
                          acknowledged.add(answer.getString("frameId"));
                          if (answer.getBoolean("reused", false)) {
                            reused.incrementAndGet();
                          }
                        } else {
                          failed.incrementAndGet();
                          refusals.merge(
                              e != null
                                  ? e.getClass().getSimpleName()
                                  : Integer.toString(r.statusCode()),
                              1,
                              Integer::sum);
                        }
                        inFlight.decrementAndGet();
                      });
            },
            offset,
            interval,
            TimeUnit.NANOSECONDS);
      }
      while (System.nanoTime() < end) {
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
      clock.shutdownNow();
      long drainDeadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      double cpuMs = (os.getProcessCpuTime() - cpuStart) / 1e6;
      String loadAfter = loadAverage();

      step("counting the frames in the store and the cameras' states");
      Set<String> stored = storedFrames(node);
      long lost = acknowledged.stream().filter(id -> !stored.contains(id)).count();
      int[] faults = faultStates(client, base);
      int injected = 0;
      for (int c = 0; c < settings.cameras(); c++) {
        Kind k = kind(c, settings.staticShare());
        if ((k == Kind.BLACK || k == Kind.COVERED)
            && first + sentFrames(c, settings) > FAULT_AFTER + 1) {
          injected++;
        }
      }
      long ok = accepted.get();
      Table table =
          new Table(
              "cameras",
              "interval s",
              "static share",
              "frames sent",
              "accepted frames/s",
              "p50 ms",
              "p99 ms",
              "CPU ms/frame",
              "reused",
              "not accepted",
              "frames lost",
              "faulty cameras found / injected",
              "false fault states");
      table.row(
          settings.cameras(),
          settings.intervalSeconds(),
          settings.staticShare(),
          sent.get(),
          ok / elapsed,
          latency.percentileMillis(50),
          latency.percentileMillis(99),
          cpuMs / Math.max(1, sent.get()),
          reused.get(),
          failed.get() == 0 ? "0" : failed.get() + " " + new TreeMap<>(refusals),
          lost,
          faults[0] + " / " + injected,
          faults[1]);
      report
          .append("### `bench cameras`: ")
          .append(settings.cameras())
          .append(" cameras at 1280x720, one frame per ")
          .append(Table.format(settings.intervalSeconds()))
          .append(" s, ")
          .append(Table.format(settings.seconds()))
          .append(" s")
          .append(
              settings.warmUp()
                  ? ", after a warm-up that sent every camera's first frame ("
                      + warmUpSeconds
                      + " s)"
                  : ", from a cold node")
          .append("\n\n")
          .append(table.markdown())
          .append('\n')
          .append("Node: the urban model, ")
          .append(config.inference().workers())
          .append(" inference workers, ")
          .append("embedded S3 store, ingest.reuseForSeconds ")
          .append(reuseFor)
          .append(", ingest.staticFrames ")
          .append(config.ingest().staticFrames().name().toLowerCase(Locale.ROOT))
          .append(", ingest.maxInFlight ")
          .append(config.ingest().maxInFlight())
          .append(", cameras.healthWriteSeconds ")
          .append(config.cameras().healthWriteSeconds())
          .append("; every ")
          .append(FAULTY_EVERY)
          .append("th camera black or covered from its ")
          .append(FAULT_AFTER + 1)
          .append("th frame on; the rest ")
          .append(Table.format(settings.staticShare() * 100))
          .append(
              "% static (sensor noise σ 3, light ±8%), else busy (an object moving through the view). ")
          .append(
              "Latency from send to answer; CPU is the whole JVM (node and load generator, which only sends ")
          .append(
              "pre-rendered frames) per frame sent; not accepted: answers other than 201 by status (503: the ")
          .append(
              "node's admission limit; a camera retries) or the client's exception; frames lost = frames ")
          .append("answered 201 whose id is not in the store (listed: ")
          .append(stored.size())
          .append(
              ", which includes frames the node stored after the client gave up); faults found = faulty cameras in state fault at the end; false = ")
          .append("healthy cameras in another state than ok. Load average (1/5/15 min) before ")
          .append(loadBefore)
          .append(", after ")
          .append(loadAfter)
          .append("; ")
          .append(Runtime.getRuntime().availableProcessors())
          .append(" cores; ")
          .append(Instant.now().toString(), 0, 10)
          .append(".\n");
      result =
          new Result(
              sent.get(),
              ok,
              reused.get(),
              failed.get(),
              lost,
              faults[0],
              injected,
              faults[1],
              report.toString());
    } finally {
      clock.shutdownNow();
      senders.shutdownNow();
      node.shutdown().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      storage.close();
    }
    return result;
  }

  /**
   * Sends every camera's frame 0 with {@code parallel} requests at a time, each retried after a
   * refusal or a connection error (up to 60 s per camera), and waits for all. Frame 0 of every kind
   * is a normal view: no camera starts faulty.
   */
  private void warmUp(
      Frames frames, HttpClient client, String base, int parallel, Set<String> acknowledged)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      List<Future<?>> sent = new ArrayList<>();
      for (int c = 0; c < settings.cameras(); c++) {
        int camera = c;
        sent.add(
            pool.submit(
                () -> {
                  byte[] body = frames.frame(camera, kind(camera, settings.staticShare()), 0);
                  long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                  while (true) {
                    try {
                      HttpResponse<String> r =
                          client.send(frameRequest(base, camera, body), BodyHandlers.ofString());
                      if (r.statusCode() == 201) {
                        acknowledged.add(new JsonObject(r.body()).getString("frameId"));
                        return null;
                      }
                      if (r.statusCode() != 503 || System.nanoTime() > deadline) {
                        throw new IllegalStateException(
                            "warm-up frame of "
                                + cameraId(camera)
                                + ": "
                                + r.statusCode()
                                + " "
                                + r.body());
                      }
                    } catch (IOException e) {
                      if (System.nanoTime() > deadline) {
                        throw e;
                      }
                    }
                    Thread.sleep(100);
                  }
                }));
      }
      for (Future<?> f : sent) {
        f.get(15, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static HttpRequest frameRequest(String base, int camera, byte[] body) {
    return HttpRequest.newBuilder(URI.create(base + "/v1/cameras/" + cameraId(camera) + "/frames"))
        .header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "image/jpeg")
        // No Expect: 100-continue: Java 17's HttpClient never completes a request answered with a
        // refusal rather than 100 Continue (its own timeout does not fire either).
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  /** Frames camera {@code c} sent in the run (by its schedule). */
  private static long sentFrames(int c, Settings s) {
    double offset = s.intervalSeconds() * c / s.cameras();
    return offset >= s.seconds()
        ? 0
        : (long) Math.ceil((s.seconds() - offset) / s.intervalSeconds());
  }

  /** The ids of every frame in the store, by listing it. */
  private static Set<String> storedFrames(ServingNode node) throws Exception {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    do {
      Page<FrameEntry> page = node.store().listFrames("frames/", cursor, 1000);
      page.items().forEach(f -> ids.add(f.frameId()));
      cursor = page.nextCursor();
    } while (cursor != null);
    return ids;
  }

  /** {faulty cameras in state fault, healthy cameras not ok} from {@code GET /v1/cameras}. */
  private int[] faultStates(HttpClient client, String base) throws Exception {
    int found = 0;
    int falseStates = 0;
    String cursor = null;
    do {
      String uri = base + "/v1/cameras?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor);
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(uri))
                  .header("Authorization", "Bearer " + KEY)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "GET /v1/cameras answered " + r.statusCode() + ": " + r.body());
      }
      JsonObject page = new JsonObject(r.body());
      JsonArray items = page.getJsonArray("items");
      for (int k = 0; k < items.size(); k++) {
        JsonObject camera = items.getJsonObject(k);
        int c = Integer.parseInt(camera.getString("cameraId").substring("bcam-".length()));
        Kind kind = kind(c, settings.staticShare());
        boolean faulty = kind == Kind.BLACK || kind == Kind.COVERED;
        if (faulty && camera.getString("state").equals("fault")) {
          found++;
        } else if (!faulty && !camera.getString("state").equals("ok")) {
          falseStates++;
        }
      }
      cursor = page.getString("nextCursor");
      if (cursor != null) {
        cursor = URLEncoder.encode(cursor, StandardCharsets.UTF_8);
      }
    } while (cursor != null);
    return new int[] {found, falseStates};
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " / " + parts[1] + " / " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private void step(String what) {
    progress.println("bench cameras: " + what);
  }

  /**
   * The pre-rendered frames: per scene, static variants, busy variants, a black and a covered one.
   */
  record Frames(
      List<List<byte[]>> still,
      List<List<byte[]>> busy,
      List<List<byte[]>> black,
      List<List<byte[]>> covered) {
    static Frames render() {
      List<List<byte[]>> still = new ArrayList<>();
      List<List<byte[]>> busy = new ArrayList<>();
      List<List<byte[]>> black = new ArrayList<>();
      List<List<byte[]>> covered = new ArrayList<>();
      Random random = new Random(6);
      for (int s = 0; s < SCENES; s++) {
        Mat scene = SyntheticScene.render(WIDTH, HEIGHT, 600 + s);
        Mat other = SyntheticScene.render(WIDTH, HEIGHT, 700 + s);
        List<byte[]> st = new ArrayList<>();
        List<byte[]> bu = new ArrayList<>();
        List<byte[]> bl = new ArrayList<>();
        List<byte[]> co = new ArrayList<>();
        for (int v = 0; v < VARIANTS; v++) {
          double light = 0.92 + 0.16 * v / (VARIANTS - 1);
          st.add(noisy(scene, light, random));
          Mat moving = scene.clone();
          try {
            // An object of another scene, 8% of the view, somewhere else in every frame.
            int w = WIDTH / 4;
            int hgt = (int) (HEIGHT * 0.32);
            Rect where = new Rect(random.nextInt(WIDTH - w), random.nextInt(HEIGHT - hgt), w, hgt);
            other.submat(where).copyTo(moving.submat(where));
            bu.add(noisy(moving, light, random));
          } finally {
            moving.release();
          }
          bl.add(noisy(scene, 0.03, random));
          Mat cap = scene.clone();
          try {
            cap.submat(new Rect(0, 0, (int) (WIDTH * 0.85), HEIGHT))
                .setTo(new Scalar(128, 128, 128));
            co.add(noisy(cap, light, random));
          } finally {
            cap.release();
          }
        }
        scene.release();
        other.release();
        still.add(st);
        busy.add(bu);
        black.add(bl);
        covered.add(co);
      }
      return new Frames(still, busy, black, covered);
    }

    /** Camera {@code c}'s frame number {@code n}. */
    byte[] frame(int c, Kind kind, long n) {
      int scene = c % SCENES;
      int v = (int) (n % VARIANTS);
      return switch (kind) {
        case STATIC -> still.get(scene).get(v);
        case BUSY -> busy.get(scene).get(v);
        case BLACK -> n < FAULT_AFTER ? still.get(scene).get(v) : black.get(scene).get(v);
        case COVERED -> n < FAULT_AFTER ? still.get(scene).get(v) : covered.get(scene).get(v);
      };
    }

    private static byte[] noisy(Mat image, double gain, Random random) {
      return SyntheticScene.noisyJpeg(image, gain, 3, random.nextInt(), 85);
    }
  }
}
