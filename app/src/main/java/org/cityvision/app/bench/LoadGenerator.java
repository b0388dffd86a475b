package org.cityvision.app.bench;

import com.sun.management.OperatingSystemMXBean;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The serving benchmark's HTTP load generator: POSTs bodies to one route of a node on 127.0.0.1,
 * either closed loop (a fixed number of requests always outstanding) or open loop (sends at a fixed
 * rate whatever the answers, latency counted from the scheduled send time, so a stalled server
 * cannot hide its queue). Every run starts with a warm-up whose requests are not counted, and stops
 * by itself.
 *
 * <p>It is a minimal blocking HTTP/1.1 client (keep-alive, one pre-built request per body, one
 * connection per outstanding request) because on the 2-core reference machine the client shares the
 * cores with the node it measures: every millisecond it spends comes out of the node's throughput.
 * It runs in the caller's JVM ({@link #run}) or, as cameras and sorting machines do, in a process
 * of its own ({@link #inChildProcess}, {@link #main}), where its allocations stay out of the node's
 * heap and its CPU time is measured apart from the node's.
 */
public final class LoadGenerator {
  /** The most connections (and sending threads) an open-loop run opens. */
  static final int MAX_CONNECTIONS = 512;

  /** What to send: a path, a bearer key, a content type and the bodies (used in turn). */
  public record Target(int port, String path, String key, String contentType, List<byte[]> bodies) {
    public Target {
      if (bodies.isEmpty()) {
        throw new IllegalArgumentException("no bodies to send");
      }
    }
  }

  /**
   * How to load: {@code concurrency} requests outstanding ({@code rate} 0), or {@code rate} sends
   * per second (open loop); {@code warmupSeconds} not counted, then {@code seconds} measured.
   */
  public record Load(int concurrency, double rate, double warmupSeconds, double seconds) {
    public Load {
      if ((concurrency > 0) == (rate > 0)) {
        throw new IllegalArgumentException(
            "give a concurrency (closed loop) or a rate (open loop), not both");
      }
      if (concurrency > 1024
          || rate > 100_000
          || seconds <= 0
          || seconds > 600
          || warmupSeconds < 0
          || warmupSeconds > 60) {
        throw new IllegalArgumentException("load out of bounds: " + this);
      }
    }

    public static Load closed(int concurrency, double warmupSeconds, double seconds) {
      return new Load(concurrency, 0, warmupSeconds, seconds);
    }

    public static Load open(double rate, double warmupSeconds, double seconds) {
      return new Load(0, rate, warmupSeconds, seconds);
    }
  }

  /**
   * One measured window.
   *
   * @param ok answers below 300 counted in the window
   * @param errors other answers and failures in the window
   * @param rate ok answers per second of the window
   * @param p50Ms median latency
   * @param p99Ms 99th percentile latency
   * @param maxMs slowest answer
   * @param answeredAll answers of any status, warm-up included (what the server handled)
   * @param clientCpuMsPerRequest the load generator's process CPU per answer, warm-up included,
   *     when it ran in its own process ({@code NaN} in the benchmark's JVM)
   */
  public record Result(
      long ok,
      long errors,
      double rate,
      double p50Ms,
      double p99Ms,
      double maxMs,
      long answeredAll,
      double clientCpuMsPerRequest) {
    JsonObject toJson() {
      // JSON has no NaN: a missing figure travels as null.
      return new JsonObject()
          .put("ok", ok)
          .put("errors", errors)
          .put("rate", finite(rate))
          .put("p50Ms", finite(p50Ms))
          .put("p99Ms", finite(p99Ms))
          .put("maxMs", finite(maxMs))
          .put("answeredAll", answeredAll)
          .put("clientCpuMsPerRequest", finite(clientCpuMsPerRequest));
    }

    static Result fromJson(JsonObject j) {
      return new Result(
          j.getLong("ok"),
          j.getLong("errors"),
          number(j, "rate"),
          number(j, "p50Ms"),
          number(j, "p99Ms"),
          number(j, "maxMs"),
          j.getLong("answeredAll"),
          number(j, "clientCpuMsPerRequest"));
    }

    Result withClientCpu(double msPerRequest) {
      return new Result(ok, errors, rate, p50Ms, p99Ms, maxMs, answeredAll, msPerRequest);
    }

    private static Double finite(double d) {
      return Double.isFinite(d) ? d : null;
    }

    private static double number(JsonObject j, String name) {
      Double d = j.getDouble(name);
      return d == null ? Double.NaN : d;
    }
  }

  private LoadGenerator() {}

  /** Runs {@code load} from this thread's JVM; returns when every request sent has its answer. */
  public static Result run(Target target, Load load) throws InterruptedException, IOException {
    return run(target, load, null);
  }

  /**
   * Runs {@code load}; with a {@code trace} file, also writes one line per measured request: its
   * start (ms into the measured window), latency (ms) and status, to see when the slow answers
   * came.
   */
  public static Result run(Target target, Load load, Path trace)
      throws InterruptedException, IOException {
    List<byte[]> requests = new ArrayList<>();
    for (byte[] body : target.bodies()) {
      requests.add(Connection.request(target, body));
    }
    Window window = new Window(load, trace != null);
    Result result =
        load.rate() > 0
            ? openLoop(target.port(), requests, load, window)
            : closedLoop(target.port(), requests, load, window);
    if (trace != null) {
      StringBuilder out = new StringBuilder("start_ms\tlatency_ms\tstatus\n");
      List<long[]> rows = new ArrayList<>(window.trace);
      rows.sort(Comparator.comparingLong(r -> r[0]));
      for (long[] r : rows) {
        out.append(String.format(Locale.ROOT, "%.1f\t%.1f\t%d%n", r[0] / 1e6, r[1] / 1e6, r[2]));
      }
      Files.writeString(trace, out);
    }
    return result;
  }

  /**
   * {@code load.concurrency()} requests always outstanding, each on its own keep-alive connection.
   */
  private static Result closedLoop(int port, List<byte[]> requests, Load load, Window window)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < load.concurrency(); t++) {
      Thread thread =
          new Thread(
              () -> {
                try (Connection connection = new Connection(port)) {
                  for (long t0 = System.nanoTime(); t0 < window.end; t0 = System.nanoTime()) {
                    byte[] request =
                        requests.get(Math.floorMod(next.getAndIncrement(), requests.size()));
                    window.answer(t0, connection.exchange(request));
                  }
                }
              },
              "loadgen-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    long joinBy = window.end + 60_000_000_000L;
    for (Thread thread : threads) {
      thread.join(Math.max(1, (joinBy - System.nanoTime()) / 1_000_000));
      if (thread.isAlive()) {
        throw new IllegalStateException(
            "a request is still outstanding a minute after the run ended");
      }
    }
    return window.result();
  }

  /**
   * Sends at {@code load.rate()} per second whatever the answers: each send goes to an idle
   * connection, or a new one when all are waiting (at most {@link #MAX_CONNECTIONS}); latency
   * counts from the scheduled time, so time spent waiting for a connection counts too.
   */
  private static Result openLoop(int port, List<byte[]> requests, Load load, Window window)
      throws InterruptedException {
    long interval = (long) (1e9 / load.rate());
    int total = (int) Math.round((load.warmupSeconds() + load.seconds()) * load.rate());
    ConcurrentLinkedQueue<Connection> connections = new ConcurrentLinkedQueue<>();
    ThreadLocal<Connection> mine =
        ThreadLocal.withInitial(
            () -> {
              Connection c = new Connection(port);
              connections.add(c);
              return c;
            });
    AtomicInteger threadNumber = new AtomicInteger();
    // Idle senders live as long as the run may (600 s): each holds its connection, and one that
    // died would
    // leave an open connection behind and make its successor open another.
    ThreadPoolExecutor senders =
        new ThreadPoolExecutor(
            0,
            MAX_CONNECTIONS,
            600,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "loadgen-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    try {
      for (int i = 0; i < total; i++) {
        long scheduled = window.start + i * interval;
        long wait = scheduled - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        byte[] request = requests.get(i % requests.size());
        senders.execute(() -> window.answer(scheduled, mine.get().exchange(request)));
      }
    } finally {
      senders.shutdown();
      boolean done = senders.awaitTermination(60, TimeUnit.SECONDS);
      connections.forEach(Connection::close);
      if (!done) {
        senders.shutdownNow();
        throw new IllegalStateException("requests unanswered a minute after the last send");
      }
    }
    return window.result();
  }

  /**
   * A minimal blocking HTTP/1.1 client connection to 127.0.0.1: one pre-built request written at
   * once, the answer's status read and its body skipped (Content-Length or chunked). It costs the
   * shared cores far less per request than a general-purpose client. Reconnects after an error or a
   * {@code Connection: close}.
   */
  private static final class Connection implements AutoCloseable {
    private final int port;
    private Socket socket;
    private BufferedInputStream in;
    private OutputStream out;

    Connection(int port) {
      this.port = port;
    }

    static byte[] request(Target target, byte[] body) {
      String head =
          "POST "
              + target.path()
              + " HTTP/1.1\r\nHost: 127.0.0.1:"
              + target.port()
              + "\r\nAuthorization: Bearer "
              + target.key()
              + "\r\nContent-Type: "
              + target.contentType()
              + "\r\nContent-Length: "
              + body.length
              + "\r\n\r\n";
      byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
      byte[] all = Arrays.copyOf(h, h.length + body.length);
      System.arraycopy(body, 0, all, h.length, body.length);
      return all;
    }

    /** Sends one request and reads its answer: the HTTP status, or -1 when the exchange failed. */
    int exchange(byte[] request) {
      try {
        if (socket == null) {
          socket = new Socket();
          socket.setTcpNoDelay(true);
          socket.setSoTimeout(60_000);
          socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
          in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
          out = socket.getOutputStream();
        }
        out.write(request);
        out.flush();
        return readResponse();
      } catch (IOException | RuntimeException e) {
        close();
        return -1;
      }
    }

    private int readResponse() throws IOException {
      String status = line();
      if (!status.startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP answer: " + status);
      }
      int code = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      boolean closeAfter = false;
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        String name = colon < 0 ? h : h.substring(0, colon).trim();
        String value = colon < 0 ? "" : h.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          length = Long.parseLong(value);
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
          chunked = value.equalsIgnoreCase("chunked");
        } else if (name.equalsIgnoreCase("Connection")) {
          closeAfter = value.equalsIgnoreCase("close");
        }
      }
      if (chunked) {
        for (long size = Long.parseLong(line().split(";")[0].trim(), 16);
            size > 0;
            size = Long.parseLong(line().split(";")[0].trim(), 16)) {
          skip(size);
          line();
        }
        for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
          // trailers are ignored
        }
      } else if (length >= 0) {
        skip(length);
      } else {
        closeAfter = true;
      }
      if (closeAfter) {
        close();
      }
      return code;
    }

    private String line() throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed mid-answer");
        }
        if (c != '\r') {
          b.append((char) c);
        }
        if (b.length() > 64 * 1024) {
          throw new IOException("header line too long");
        }
      }
      return b.toString();
    }

    private void skip(long n) throws IOException {
      for (long left = n; left > 0; ) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          if (in.read() < 0) {
            throw new IOException("connection closed mid-body");
          }
          skipped = 1;
        }
        left -= skipped;
      }
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing a loopback socket: nothing to recover
        }
        socket = null;
      }
    }
  }

  /** Counts answers whose request started inside the measured window. Thread-safe. */
  private static final class Window {
    final long start = System.nanoTime();
    final long measuredFrom;
    final long end;
    final LatencyRecorder latencies = new LatencyRecorder();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong answeredAll = new AtomicLong();
    final double seconds;

    /** Per measured request: start (ns from the window's start), latency (ns), status; or null. */
    final List<long[]> trace;

    Window(Load load, boolean traced) {
      trace = traced ? Collections.synchronizedList(new ArrayList<>()) : null;
      measuredFrom = start + (long) (load.warmupSeconds() * 1e9);
      end = measuredFrom + (long) (load.seconds() * 1e9);
      seconds = load.seconds();
    }

    /**
     * @param status the HTTP status, or -1 when the request failed without one
     */
    void answer(long startedNanos, int status) {
      if (status > 0) {
        answeredAll.incrementAndGet();
      }
      if (startedNanos < measuredFrom) {
        return;
      }
      long latency = System.nanoTime() - startedNanos;
      if (trace != null) {
        trace.add(new long[] {startedNanos - measuredFrom, latency, status});
      }
      if (status >= 200 && status < 300) {
        ok.incrementAndGet();
        latencies.record(latency);
      } else {
        errors.incrementAndGet();
      }
    }

    Result result() {
      return new Result(
          ok.get(),
          errors.get(),
          ok.get() / seconds,
          latencies.percentileMillis(50),
          latencies.percentileMillis(99),
          latencies.percentileMillis(100),
          answeredAll.get(),
          Double.NaN);
    }
  }

  /**
   * Runs {@code load} in a child JVM on this JVM's class path (serial collector, small heap) and
   * returns what it measured, with its own CPU time per request.
   *
   * @param bodies a folder of files to send, in name order
   */
  public static Result inChildProcess(Target target, Path bodies, Load load)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                LoadGenerator.class.getName(),
                "--port",
                Integer.toString(target.port()),
                "--path",
                target.path(),
                "--key",
                target.key(),
                "--content-type",
                target.contentType(),
                "--bodies",
                bodies.toString(),
                "--concurrency",
                Integer.toString(load.concurrency()),
                "--rate",
                Double.toString(load.rate()),
                "--warmup",
                Double.toString(load.warmupSeconds()),
                "--seconds",
                Double.toString(load.seconds())));
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    long limit = (long) (load.warmupSeconds() + load.seconds()) + 120;
    if (!process.waitFor(limit, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("load generator still running after " + limit + " s");
    }
    if (process.exitValue() != 0 || out.isEmpty()) {
      throw new IOException("load generator failed (exit " + process.exitValue() + "): " + out);
    }
    String last = out.substring(out.lastIndexOf('\n') + 1);
    return Result.fromJson(new JsonObject(last));
  }

  /** Writes {@code bodies} as files 0000.bin, 0001.bin, ... into a new temporary folder. */
  public static Path writeBodies(List<byte[]> bodies) throws IOException {
    Path dir = Files.createTempDirectory("cityvision-loadgen");
    for (int i = 0; i < bodies.size(); i++) {
      Files.write(dir.resolve(String.format("%04d.bin", i)), bodies.get(i));
    }
    return dir;
  }

  /** CPU time of this whole process (every thread), in nanoseconds. */
  static long processCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Deletes a folder that {@link #writeBodies} made (its files, then itself); {@code null} is
   * ignored.
   */
  public static void deleteBodies(Path dir) throws IOException {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }

  /**
   * {@code --port P --path /v1/... --key K --content-type T --bodies DIR (--concurrency C | --rate
   * R) --warmup S --seconds S [--trace FILE]}: runs the load against 127.0.0.1:P and prints the
   * result as one JSON line.
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      a.put(args[i].substring(2), args[i + 1]);
    }
    List<byte[]> bodies = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(require(a, "bodies")))) {
      for (Path p : files.sorted().toList()) {
        bodies.add(Files.readAllBytes(p));
      }
    }
    Target target =
        new Target(
            Integer.parseInt(require(a, "port")),
            require(a, "path"),
            require(a, "key"),
            a.getOrDefault("content-type", "image/jpeg"),
            bodies);
    Load load =
        new Load(
            Integer.parseInt(a.getOrDefault("concurrency", "0")),
            Double.parseDouble(a.getOrDefault("rate", "0")),
            Double.parseDouble(a.getOrDefault("warmup", "1")),
            Double.parseDouble(require(a, "seconds")));
    long cpu0 = processCpuNanos();
    Result r = run(target, load, a.containsKey("trace") ? Path.of(a.get("trace")) : null);
    double cpuMs = (processCpuNanos() - cpu0) / 1e6;
    System.out.println(
        r.withClientCpu(r.answeredAll() > 0 ? cpuMs / r.answeredAll() : Double.NaN)
            .toJson()
            .encode());
  }

  private static String require(Map<String, String> args, String name) {
    String v = args.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }
}
