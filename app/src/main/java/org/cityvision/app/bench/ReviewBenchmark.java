package org.cityvision.app.bench;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ApiRouter;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.auth.RateLimiter;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.metrics.Metrics;
import org.cityvision.serving.review.FlagRecounts;
import org.cityvision.serving.review.ReviewDeps;
import org.cityvision.serving.review.ReviewEvents;
import org.cityvision.serving.review.ReviewFeed;
import org.cityvision.serving.review.ReviewPage;
import org.cityvision.serving.review.ReviewRoutes;

/**
 * {@code cityvision bench review}: the review queue at city scale. Builds (once, kept under {@code
 * data}) a store of {@code flags} open flags over 200 cameras and 5 labels, written directly
 * through the store API, then runs two review nodes (the real router, auth and review routes over
 * one embedded S3 server on loopback) and times what a reviewer waits for: counts, a verdict, the
 * counts after it on both nodes, list pages at several depths and filters (an empty one included),
 * a leased page, and a flag created on one node reaching the other's live stream; then, where
 * Debian's Chromium is installed, the review page itself on both nodes ({@link HeadlessChromium}):
 * first paint, the next tile after a verdict key, the open count after it. Prints a markdown table
 * of medians and 95th percentiles.
 */
public final class ReviewBenchmark {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final List<String> LABELS =
      List.of("flooding", "garbage_dumping", "graffiti", "pothole_road_damage", "normal");
  private static final int CAMERAS = 200;
  private static final String KEY = "bench-reviewer-key-0123456789";

  private final Path data;
  private final int flags;
  private final int rounds;
  private final PrintStream log;
  private final HttpClient http = HttpClient.newHttpClient();
  private URI nodeA;

  public ReviewBenchmark(Path data, int flags, int rounds, PrintStream log) {
    this.data = Objects.requireNonNull(data, "data");
    if (flags < 1_000 || flags > 1_000_000) {
      throw new IllegalArgumentException("flags must be in 1000..1000000, got " + flags);
    }
    if (rounds < 3 || rounds > 1_000) {
      throw new IllegalArgumentException("rounds must be in 3..1000, got " + rounds);
    }
    this.flags = flags;
    this.rounds = rounds;
    this.log = log;
  }

  private StorageConfig store(EmbeddedS3Server s3, String node) {
    return StorageConfig.embedded(data.resolve(node))
        .withEndpoint(s3.endpoint(), s3.accessKey(), s3.secretKey())
        .withBucket("review-bench-" + flags)
        .withRequestTimeout(Duration.ofSeconds(30));
  }

  /** Runs it and returns the report (markdown). */
  public String run() throws Exception {
    Files.createDirectories(data);
    Vertx vertx = Vertx.vertx();
    try (EmbeddedS3Server s3 =
            EmbeddedS3Server.start(data.resolve("s3"), 0, "bench", "bench-secret-0123456789");
        FrameStore a = FrameStores.open(store(s3, "node-a"));
        FrameStore b = FrameStores.open(store(s3, "node-b"))) {
      double buildSeconds = fixture(a);
      nodeA = node(vertx, a, "node-a");
      URI nodeB = node(vertx, b, "node-b");
      return measure(a, b, nodeA, nodeB, buildSeconds);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Writes the flags unless the store holds them already; seconds spent (0 when reused). */
  private double fixture(FrameStore store) throws Exception {
    if (store.apiKey("bench").isEmpty()) {
      store.createApiKey(new ApiKeyRecord("bench", KeyRole.REVIEWER, ApiKeys.hash(KEY), T0));
    }
    FlagCounts now = store.flagCounts();
    long stored = now.statuses().values().stream().mapToLong(Long::longValue).sum();
    if (stored >= flags) {
      log.println("reusing " + stored + " flags in " + data);
      return 0;
    }
    log.println("writing " + (flags - stored) + " flags through the store API ...");
    long start = System.nanoTime();
    AtomicLong done = new AtomicLong(stored);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> parts = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int part = t;
        parts.add(
            pool.submit(
                () -> {
                  for (long i = stored + part; i < flags; i += 16) {
                    store.createFlag(flag(i));
                    long n = done.incrementAndGet();
                    if (n % 10_000 == 0) {
                      log.println(
                          "  "
                              + n
                              + " flags, "
                              + (System.nanoTime() - start) / 1_000_000_000
                              + " s");
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : parts) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    store.flagCounts();
    return (System.nanoTime() - start) / 1e9;
  }

  private static FlagRecord flag(long i) {
    Instant at = T0.plusSeconds(i);
    String camera = "cam-" + (i % CAMERAS);
    String id = FrameId.generate(camera, at).value();
    return FlagRecord.open(
        id, LABELS.get((int) (i % LABELS.size())), 0.5 + (i % 50) / 100.0, "urban", "1.0.0", at);
  }

  private URI node(Vertx vertx, FrameStore store, String name) throws Exception {
    ServerConfig config = ServerConfig.defaults(data).withData(data.resolve(name));
    ApiKeys keys = new ApiKeys(store, Clock.systemUTC());
    keys.reload();
    Metrics metrics = new Metrics();
    WorkerExecutor io = vertx.createSharedWorkerExecutor("review-bench-" + name, 16);
    Authenticator auth = new Authenticator(keys, new RateLimiter(0, 1), io, metrics);
    ReviewDeps deps = new ReviewDeps(store, io, ReviewEvents.NONE, LABELS);
    ApiRouter api =
        new ApiRouter(
            List.of(
                ReviewRoutes.area(
                    deps,
                    new FlagRecounts(store, Clock.systemUTC(), name),
                    ReviewFeed.of(store, io, config.http().requestTimeoutMs()),
                    config.review().reopenWindow()),
                ReviewPage.area()));
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(api.router(vertx, config, metrics, auth))
            .listen(0, "127.0.0.1")
            .await(30, TimeUnit.SECONDS);
    return URI.create("http://127.0.0.1:" + server.actualPort());
  }

  private String measure(FrameStore store, FrameStore storeB, URI a, URI b, double buildSeconds)
      throws Exception {
    Table table = new Table("what", "node", "median ms", "p95 ms", "n");
    long open = store.flagCounts().of(FlagStatus.OPEN);
    // Warm both nodes' connections and code paths.
    for (int i = 0; i < 3; i++) {
      get(a, "/v1/flags/counts");
      get(b, "/v1/flags/counts");
      get(a, "/v1/flags?limit=60");
      get(b, "/v1/flags?limit=60");
    }
    time(table, "counts (`GET /v1/flags/counts`)", a, "/v1/flags/counts");
    time(table, "counts (`GET /v1/flags/counts`)", b, "/v1/flags/counts");
    String first = "/v1/flags?limit=60";
    time(table, "first page, 60 newest", a, first);
    time(table, "first page, 60 newest", b, first);
    for (int depth : new int[] {1_000, flags / 2, flags - 100}) {
      String until = T0.plusSeconds(flags - 1L - depth).toString();
      time(
          table,
          "page of 60 at depth " + depth + " (`until=`)",
          a,
          "/v1/flags?limit=60&until=" + until);
    }
    time(table, "page of 60, least confident first", a, "/v1/flags?limit=60&order=least_confident");
    time(table, "camera filter, 60 of one camera", a, "/v1/flags?limit=60&cameraId=cam-7");
    time(table, "camera filter matching nothing", a, "/v1/flags?limit=60&cameraId=cam-none");
    time(table, "camera filter matching nothing", b, "/v1/flags?limit=60&cameraId=cam-none");
    time(table, "label filter", a, "/v1/flags?limit=60&label=graffiti");
    time(table, "leased page (`lease=120`)", a, "/v1/flags?limit=60&lease=120");
    time(table, "leased page (`lease=120`)", b, "/v1/flags?limit=60&lease=120");
    verdicts(table, a, b);
    live(table, storeB, a);
    String browser = browser(table, a, b);
    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    return "### Review queue at "
        + open
        + " open flags ("
        + DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(Instant.now())
        + ", load average "
        + load.substring(0, load.indexOf(' ', load.indexOf(' ', load.indexOf(' ') + 1) + 1))
        + ", "
        + Runtime.getRuntime().availableProcessors()
        + " cores; fixture "
        + (buildSeconds == 0 ? "reused" : String.format("written in %.0f s", buildSeconds))
        + ")\n\n"
        + "Two review nodes (router, auth, review routes) over one embedded S3Proxy on loopback; "
        + rounds
        + " requests per row, one at a time.\n\n"
        + table.markdown()
        + browser;
  }

  private void time(Table table, String what, URI node, String path) throws Exception {
    double[] ms = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      long start = System.nanoTime();
      get(node, path);
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    row(table, what, node, ms);
  }

  private void row(Table table, String what, URI node, double[] ms) {
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    table.row(
        what,
        nodeName(node),
        sorted[sorted.length / 2],
        sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.95) - 1)],
        sorted.length);
  }

  private String nodeName(URI node) {
    return node.equals(nodeA) ? "A" : "B";
  }

  /**
   * A verdict on node A, then the counts polled on A and on B until the open count dropped: what
   * the reviewer's tab counts wait for after a verdict.
   */
  private void verdicts(Table table, URI a, URI b) throws Exception {
    double[] verdict = new double[rounds];
    double[] countsA = new double[rounds];
    double[] countsB = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      JsonObject page = new JsonObject(get(a, "/v1/flags?limit=1").body());
      String frameId = page.getJsonArray("items").getJsonObject(0).getString("frameId");
      long before = open(a);
      long start = System.nanoTime();
      post(a, "/v1/flags/" + frameId + "/review", "{\"verdict\":\"reject\"}");
      long judged = System.nanoTime();
      verdict[i] = (judged - start) / 1e6;
      countsA[i] = untilBelow(a, before, judged);
      countsB[i] = untilBelow(b, before, judged);
    }
    row(table, "verdict (`POST .../review`)", a, verdict);
    row(table, "counts exact after a verdict on A", a, countsA);
    row(table, "counts exact after a verdict on A", b, countsB);
  }

  private double untilBelow(URI node, long before, long since) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (open(node) >= before) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "counts on " + node + " did not change within 10 s of a verdict");
      }
    }
    return (System.nanoTime() - since) / 1e6;
  }

  private long open(URI node) throws Exception {
    return new JsonObject(get(node, "/v1/flags/counts").body())
        .getJsonObject("open")
        .getLong("count");
  }

  /** A flag stored through node B's store reaching a live stream on node A. */
  private void live(Table table, FrameStore storeB, URI a) throws Exception {
    double[] ms = new double[rounds];
    HttpResponse<Stream<String>> stream =
        http.send(
            HttpRequest.newBuilder(a.resolve("/v1/review/events"))
                .header("Authorization", "Bearer " + KEY)
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    try (Stream<String> lines = stream.body()) {
      var it = lines.iterator();
      for (int i = 0; i < rounds; i++) {
        FlagRecord f = flag(flags + 1_000_000L + System.nanoTime() % 1_000_000_000L);
        long start = System.nanoTime();
        storeB.createFlag(f);
        while (it.hasNext()) {
          if (it.next().contains(f.frameId())) {
            break;
          }
        }
        ms[i] = (System.nanoTime() - start) / 1e6;
      }
    }
    row(table, "new flag on B reaches a live stream on A", a, ms);
  }

  /**
   * The review page in headless Chromium, signed in as the benchmark's reviewer: first paint (from
   * navigation to the first page of tiles and the counts on screen) on both nodes, then verdicts
   * with the C key on node A: the next tile selected, and the open count on screen changed, each
   * timed in the page from the key's event; the count shown is checked against the node's.
   *
   * @return a note under the table (why the rows are missing, or whether the counts were exact)
   */
  private String browser(Table table, URI a, URI b) throws Exception {
    if (!HeadlessChromium.available()) {
      return "\nNo review-page rows: " + HeadlessChromium.CHROMIUM + " is not installed.\n";
    }
    Vertx vertx = Vertx.vertx();
    try (HeadlessChromium page = HeadlessChromium.start(vertx)) {
      page.call("Page.enable", new JsonObject());
      page.call(
          "Page.addScriptToEvaluateOnNewDocument",
          new JsonObject().put("source", PageProbes.FIRST_PAINT));
      for (URI node : List.of(a, b)) {
        open(page, node);
        page.eval("sessionStorage.setItem('cityvision.reviewKey', '" + KEY + "'), true");
        double[] ms = new double[rounds];
        for (int i = -1; i < rounds; i++) { // one unmeasured load warms the node and the browser
          open(page, node);
          double shown = ((Number) page.eval("window.__cityvisionFirstPaint")).doubleValue();
          if (i >= 0) {
            ms[i] = shown;
          }
        }
        row(table, "review page: first 60 tiles and counts shown (load)", node, ms);
      }
      int exact = 0;
      List<String> differed = new ArrayList<>();
      for (URI node : List.of(a, b)) {
        open(page, node);
        page.eval("window.__cityvisionFirstPaint");
        double[] next = new double[rounds];
        double[] counts = new double[rounds];
        for (int i = 0; i < rounds; i++) {
          page.eval(PageProbes.AFTER_VERDICT);
          page.press('c');
          JsonObject r = (JsonObject) page.eval("window.__cityvisionVerdict");
          next[i] = r.getDouble("next");
          counts[i] = r.getDouble("counts");
          long shownOpen = Long.parseLong(r.getString("open").replaceAll("[^0-9]", ""));
          long served = open(node);
          if (shownOpen == served) {
            exact++;
          } else {
            differed.add(shownOpen + " shown, " + served + " served by " + nodeName(node));
          }
        }
        row(table, "review page: next tile selected after C", node, next);
        row(table, "review page: open count on screen changed after C", node, counts);
      }
      return "\nReview page: headless Chromium "
          + PageProbes.version(page)
          + " over DevTools on loopback; the open count shown after a verdict equalled the"
          + " node's `GET /v1/flags/counts` right after in "
          + exact
          + " of "
          + 2 * rounds
          + " verdicts"
          + (differed.isEmpty() ? "" : " (" + String.join("; ", differed) + ")")
          + ".\n";
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Navigates to {@code node}'s page and waits until the new document is the page's. */
  private static void open(HeadlessChromium page, URI node) throws Exception {
    double old = ((Number) page.eval("performance.timeOrigin")).doubleValue();
    page.navigate(node.resolve("/"));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Object state =
          page.eval(
              "window.__cityvisionFirstPaint !== undefined && location.port === '"
                  + node.getPort()
                  + "' ? performance.timeOrigin : -1");
      double origin = ((Number) state).doubleValue();
      if (origin > 0 && origin != old) {
        return;
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException(
        "the review page did not load within 30 s: "
            + page.eval("location.href + ', probe ' + typeof window.__cityvisionFirstPaint"));
  }

  private HttpResponse<String> get(URI node, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(node.resolve(path))
                .header("Authorization", "Bearer " + KEY)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "GET " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r;
  }

  private void post(URI node, String path, String body) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(node.resolve(path))
                .header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "POST " + path + " answered " + r.statusCode() + ": " + r.body());
    }
  }
}
