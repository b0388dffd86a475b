package org.cityvision.serving.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.cityvision.core.classify.ClassifierStats;
import org.cityvision.core.classify.KernelCheck;
import org.cityvision.core.storage.RetentionReport;
import org.cityvision.core.storage.StoreHealth;

/**
 * The server's counters and histograms. Request-path calls are lock-free; {@link #render} writes
 * the Prometheus text format with gauges sampled at scrape time (queue depths, spool depth),
 * followed by the JVM and process metrics and the registered callbacks ({@link #counter}, {@link
 * #gauge}).
 *
 * <p>Thread-safe. One per server node.
 */
public final class Metrics {
  /**
   * JVM and process metrics (the Prometheus Java client's own instrumentation: memory pools, GC,
   * threads, classes, CPU, open files, resident memory) and the counters of the node's background
   * parts registered through {@link #counter} and {@link #gauge}.
   */
  private final PrometheusRegistry registry = new PrometheusRegistry();

  private final PrometheusTextFormatWriter text = PrometheusTextFormatWriter.create();

  public Metrics() {
    JvmMetrics.builder().register(registry);
  }

  /**
   * A counter read when scraped: {@code name_total{label="key"} value} for every entry {@code
   * values} returns. {@code name} without {@code _total}; register each name once.
   */
  public void counter(
      String name, String help, String label, Supplier<Map<String, ? extends Number>> values) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames(label)
        .callback(cb -> values.get().forEach((key, v) -> cb.call(v.doubleValue(), key)))
        .register(registry);
  }

  /**
   * A counter with several labels read when scraped: {@code name_total{l1="v1",l2="v2"} value} for
   * every entry {@code values} returns, keyed by the label values in the order of {@code labels}.
   */
  public void counter(
      String name,
      String help,
      List<String> labels,
      Supplier<Map<List<String>, ? extends Number>> values) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames(labels.toArray(String[]::new))
        .callback(
            cb ->
                values
                    .get()
                    .forEach((key, v) -> cb.call(v.doubleValue(), key.toArray(String[]::new))))
        .register(registry);
  }

  /**
   * A gauge read when scraped: {@code name{label="key"} value} for every entry {@code values}
   * returns.
   */
  public void gauge(
      String name, String help, String label, Supplier<Map<String, ? extends Number>> values) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames(label)
        .callback(cb -> values.get().forEach((key, v) -> cb.call(v.doubleValue(), key)))
        .register(registry);
  }

  /** A gauge read when scraped. */
  public void gauge(String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
  }

  private static final double[] LATENCY = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private record RequestKey(String method, String route, int status) {}

  private record RouteKey(String method, String route) {}

  private record StageKey(String model, String stage) {}

  private final ConcurrentMap<RequestKey, LongAdder> requests = new ConcurrentHashMap<>();
  private final ConcurrentMap<RouteKey, Histogram> latency = new ConcurrentHashMap<>();
  private final ConcurrentMap<StageKey, Histogram> stages = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, LongAdder> framesStored = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, LongAdder> flagsCreated = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, LongAdder> overloaded = new ConcurrentHashMap<>();
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder idempotentReplays = new LongAdder();
  private final LongAdder authFailures = new LongAdder();
  private final LongAdder idempotentTakeovers = new LongAdder();
  private final LongAdder uploadsSwept = new LongAdder();
  private final RetentionCounters retention = new RetentionCounters();

  /** The scheduled retention passes of this node: totals over passes, and the pass in progress. */
  private static final class RetentionCounters {
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder scanned = new LongAdder();
    final LongAdder frames = new LongAdder();
    final LongAdder flags = new LongAdder();
    final LongAdder idempotency = new LongAdder();
    final LongAdder orphans = new LongAdder();
    volatile boolean running;
    volatile long progressScanned;
    volatile long progressDeleted;
    volatile long keptOpen;
    volatile long keptSpooled;
    volatile double lastCompleted;
  }

  /** One finished request; {@code route} is the route template, never the raw path. */
  public void request(String method, String route, int status, long nanos) {
    requests
        .computeIfAbsent(new RequestKey(method, route, status), k -> new LongAdder())
        .increment();
    latency
        .computeIfAbsent(new RouteKey(method, route), k -> new Histogram(LATENCY))
        .observe(nanos / 1e9);
  }

  /**
   * Time one image spent in a stage ({@code decode}, {@code queue}, {@code inference}) of a model.
   */
  public void stage(String model, String stage, long nanos) {
    stages
        .computeIfAbsent(new StageKey(model, stage), k -> new Histogram(LATENCY))
        .observe(nanos / 1e9);
  }

  /** A frame accepted; {@code durability} is {@code stored} or {@code spooled}. */
  public void frameStored(String durability) {
    framesStored.computeIfAbsent(durability, k -> new LongAdder()).increment();
  }

  public void flagCreated(String label) {
    flagsCreated.computeIfAbsent(label, k -> new LongAdder()).increment();
  }

  /**
   * A request refused with 503 because a model's queue or admission limit was full ({@code task}
   * the model's task), or camera ingest's ({@code ingest}).
   */
  public void overloaded(String task) {
    overloaded.computeIfAbsent(task, k -> new LongAdder()).increment();
  }

  public void rateLimited() {
    rateLimited.increment();
  }

  public void idempotentReplay() {
    idempotentReplays.increment();
  }

  /**
   * A retry that ran a request whose first run never answered (its node crashed, or it was slow).
   */
  public void idempotentTakeover() {
    idempotentTakeovers.increment();
  }

  public void retentionStarted() {
    retention.running = true;
    retention.progressScanned = 0;
    retention.progressDeleted = 0;
  }

  /** Running totals of the pass in progress, after each chunk. */
  public void retentionProgress(RetentionReport soFar) {
    retention.progressScanned = soFar.framesScanned();
    retention.progressDeleted = soFar.framesDeleted();
  }

  public void retentionFinished(RetentionReport r, Instant at) {
    RetentionCounters c = retention;
    c.completed.increment();
    c.scanned.add(r.framesScanned());
    c.frames.add(r.framesDeleted());
    c.flags.add(r.flagsDeleted());
    c.idempotency.add(r.idempotencyDeleted());
    c.orphans.add(r.orphanThumbnailsDeleted());
    c.keptOpen = r.keptOpenFlags();
    c.keptSpooled = r.keptSpooled();
    c.lastCompleted = at.toEpochMilli() / 1000.0;
    c.running = false;
  }

  public void retentionFailed() {
    retention.failed.increment();
    retention.running = false;
  }

  /** Upload files left by cut-off requests, deleted. */
  public void uploadsSwept(int files) {
    uploadsSwept.add(files);
  }

  public void authFailure() {
    authFailures.increment();
  }

  /**
   * The text exposition.
   *
   * @param models the classifier of each loaded model, by model name
   * @param inFlight requests admitted per task now
   * @param store the store's health, or {@code null} when it could not be sampled
   */
  public String render(
      Map<String, ClassifierStats> models,
      Map<String, Integer> inFlight,
      StoreHealth store,
      long logLinesDropped) {
    StringBuilder out = new StringBuilder(8192);
    Prometheus.help(
        out,
        "cityvision_http_requests_total",
        "counter",
        "HTTP requests by route, method and status.");
    sorted(
            requests,
            Comparator.comparing(RequestKey::route)
                .thenComparing(RequestKey::method)
                .thenComparingInt(RequestKey::status))
        .forEach(
            (k, v) ->
                out.append("cityvision_http_requests_total{")
                    .append(routeLabels(k.method(), k.route()))
                    .append(",status=\"")
                    .append(k.status())
                    .append("\"} ")
                    .append(v.sum())
                    .append('\n'));
    Prometheus.help(
        out,
        "cityvision_http_request_duration_seconds",
        "histogram",
        "HTTP request latency by route and method, from first byte to last byte written.");
    sorted(latency, Comparator.comparing(RouteKey::route).thenComparing(RouteKey::method))
        .forEach(
            (k, h) ->
                h.render(
                    out,
                    "cityvision_http_request_duration_seconds",
                    routeLabels(k.method(), k.route())));

    Prometheus.help(
        out,
        "cityvision_kernels_info",
        "gauge",
        "1, labelled with the libtorch kernels this node runs: native, or oneDNN's ISA cap (ONEDNN_MAX_CPU_ISA).");
    out.append("cityvision_kernels_info{kernels=\"")
        .append(Prometheus.label(KernelCheck.kernels()))
        .append("\"} 1\n");
    Prometheus.help(
        out,
        "cityvision_inference_queue_depth",
        "gauge",
        "Tensors waiting for an inference worker.");
    models.forEach(
        (m, s) -> gauge(out, "cityvision_inference_queue_depth", "model", m, s.queued()));
    Prometheus.help(
        out,
        "cityvision_inference_in_flight",
        "gauge",
        "Requests admitted per task (decoding, queued or running).");
    inFlight.forEach((t, n) -> gauge(out, "cityvision_inference_in_flight", "task", t, n));
    Prometheus.help(out, "cityvision_inference_images_total", "counter", "Images classified.");
    models.forEach(
        (m, s) -> gauge(out, "cityvision_inference_images_total", "model", m, s.images()));
    Prometheus.help(
        out,
        "cityvision_inference_rejected_total",
        "counter",
        "Images refused: inference queue full.");
    models.forEach(
        (m, s) -> gauge(out, "cityvision_inference_rejected_total", "model", m, s.rejected()));
    Prometheus.help(
        out, "cityvision_inference_seconds_total", "counter", "Time spent in forward passes.");
    models.forEach(
        (m, s) ->
            out.append("cityvision_inference_seconds_total{model=\"")
                .append(Prometheus.label(m))
                .append("\"} ")
                .append(Prometheus.number(s.inferenceNanos() / 1e9))
                .append('\n'));
    Prometheus.help(
        out, "cityvision_inference_batch_size", "histogram", "Images per forward pass.");
    models.forEach((m, s) -> batchSizes(out, m, s));
    Prometheus.help(
        out,
        "cityvision_classify_stage_seconds",
        "histogram",
        "Per-image time by stage: decode (decode + preprocess), queue, inference (batch time / batch size).");
    sorted(stages, Comparator.comparing(StageKey::model).thenComparing(StageKey::stage))
        .forEach(
            (k, h) ->
                h.render(
                    out,
                    "cityvision_classify_stage_seconds",
                    "model=\""
                        + Prometheus.label(k.model())
                        + "\",stage=\""
                        + Prometheus.label(k.stage())
                        + "\""));
    Prometheus.help(
        out,
        "cityvision_overload_rejected_total",
        "counter",
        "Requests refused with 503 (overload).");
    new TreeMap<>(overloaded)
        .forEach((t, v) -> gauge(out, "cityvision_overload_rejected_total", "task", t, v.sum()));

    Prometheus.help(
        out, "cityvision_frames_stored_total", "counter", "Camera frames accepted, by durability.");
    for (String d : List.of("stored", "spooled")) {
      LongAdder v = framesStored.get(d);
      gauge(out, "cityvision_frames_stored_total", "durability", d, v == null ? 0 : v.sum());
    }
    Prometheus.help(
        out,
        "cityvision_flags_created_total",
        "counter",
        "Frames put on the review queue, by label.");
    new TreeMap<>(flagsCreated)
        .forEach((l, v) -> gauge(out, "cityvision_flags_created_total", "label", l, v.sum()));
    Prometheus.help(
        out,
        "cityvision_idempotent_replays_total",
        "counter",
        "Retries answered from the stored answer.");
    out.append("cityvision_idempotent_replays_total ").append(idempotentReplays.sum()).append('\n');
    Prometheus.help(
        out,
        "cityvision_idempotent_takeovers_total",
        "counter",
        "Retries that ran a request whose first run never answered, under the frame id it recorded.");
    out.append("cityvision_idempotent_takeovers_total ")
        .append(idempotentTakeovers.sum())
        .append('\n');
    Prometheus.help(
        out,
        "cityvision_uploads_swept_total",
        "counter",
        "Upload files left by cut-off requests, deleted.");
    out.append("cityvision_uploads_swept_total ").append(uploadsSwept.sum()).append('\n');
    renderRetention(out);
    Prometheus.help(out, "cityvision_rate_limited_total", "counter", "Requests refused with 429.");
    out.append("cityvision_rate_limited_total ").append(rateLimited.sum()).append('\n');
    Prometheus.help(out, "cityvision_auth_failures_total", "counter", "Requests refused with 401.");
    out.append("cityvision_auth_failures_total ").append(authFailures.sum()).append('\n');

    if (store != null) {
      Prometheus.help(
          out, "cityvision_store_reachable", "gauge", "1 when MinIO answered a bucket check.");
      out.append("cityvision_store_reachable ").append(store.reachable() ? 1 : 0).append('\n');
      Prometheus.help(out, "cityvision_spool_items", "gauge", "Writes waiting in the local spool.");
      out.append("cityvision_spool_items ").append(store.spoolItems()).append('\n');
      Prometheus.help(out, "cityvision_spool_bytes", "gauge", "Bytes waiting in the local spool.");
      out.append("cityvision_spool_bytes ").append(store.spoolBytes()).append('\n');
    }
    Prometheus.help(
        out,
        "cityvision_log_lines_dropped_total",
        "counter",
        "Log lines dropped: the log's ring buffer was full.");
    out.append("cityvision_log_lines_dropped_total ").append(logLinesDropped).append('\n');
    ByteArrayOutputStream registered = new ByteArrayOutputStream(16_384);
    try {
      text.write(registered, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return out.append(registered.toString(StandardCharsets.UTF_8)).toString();
  }

  private void renderRetention(StringBuilder out) {
    RetentionCounters c = retention;
    Prometheus.help(
        out,
        "cityvision_retention_runs_total",
        "counter",
        "Retention passes this node ran, by outcome.");
    gauge(out, "cityvision_retention_runs_total", "outcome", "completed", c.completed.sum());
    gauge(out, "cityvision_retention_runs_total", "outcome", "failed", c.failed.sum());
    Prometheus.help(
        out, "cityvision_retention_running", "gauge", "1 while this node runs a retention pass.");
    out.append("cityvision_retention_running ").append(c.running ? 1 : 0).append('\n');
    Prometheus.help(
        out,
        "cityvision_retention_progress_frames",
        "gauge",
        "The pass in progress (or the last): frames scanned and deleted so far.");
    gauge(out, "cityvision_retention_progress_frames", "state", "scanned", c.progressScanned);
    gauge(out, "cityvision_retention_progress_frames", "state", "deleted", c.progressDeleted);
    Prometheus.help(
        out,
        "cityvision_retention_frames_scanned_total",
        "counter",
        "Frames looked at by retention.");
    out.append("cityvision_retention_frames_scanned_total ").append(c.scanned.sum()).append('\n');
    Prometheus.help(
        out,
        "cityvision_retention_deleted_total",
        "counter",
        "Objects deleted by retention, by kind.");
    gauge(out, "cityvision_retention_deleted_total", "kind", "frames", c.frames.sum());
    gauge(out, "cityvision_retention_deleted_total", "kind", "flags", c.flags.sum());
    gauge(
        out, "cityvision_retention_deleted_total", "kind", "idempotency_keys", c.idempotency.sum());
    gauge(out, "cityvision_retention_deleted_total", "kind", "orphan_thumbnails", c.orphans.sum());
    Prometheus.help(
        out,
        "cityvision_retention_kept_frames",
        "gauge",
        "Frames past retention the last pass kept, by reason.");
    gauge(out, "cityvision_retention_kept_frames", "reason", "open_flag", c.keptOpen);
    gauge(out, "cityvision_retention_kept_frames", "reason", "spooled", c.keptSpooled);
    Prometheus.help(
        out,
        "cityvision_retention_last_completed_timestamp_seconds",
        "gauge",
        "When this node last completed a retention pass (0: never).");
    out.append("cityvision_retention_last_completed_timestamp_seconds ")
        .append(Prometheus.number(c.lastCompleted))
        .append('\n');
  }

  public static String contentType() {
    return Prometheus.CONTENT_TYPE;
  }

  private static <K, V> Map<K, V> sorted(Map<K, V> map, Comparator<K> order) {
    Map<K, V> out = new TreeMap<>(order);
    out.putAll(map);
    return out;
  }

  private static String routeLabels(String method, String route) {
    return "method=\"" + Prometheus.label(method) + "\",route=\"" + Prometheus.label(route) + "\"";
  }

  private static void gauge(StringBuilder out, String name, String label, String value, long n) {
    out.append(name)
        .append('{')
        .append(label)
        .append("=\"")
        .append(Prometheus.label(value))
        .append("\"} ")
        .append(n)
        .append('\n');
  }

  private static void batchSizes(StringBuilder out, String model, ClassifierStats s) {
    List<Long> sizes = s.batchSizes();
    long cumulative = 0;
    String m = Prometheus.label(model);
    for (int n = 1; n < sizes.size(); n++) {
      cumulative += sizes.get(n);
      out.append("cityvision_inference_batch_size_bucket{model=\"")
          .append(m)
          .append("\",le=\"")
          .append(n)
          .append("\"} ")
          .append(cumulative)
          .append('\n');
    }
    out.append("cityvision_inference_batch_size_bucket{model=\"")
        .append(m)
        .append("\",le=\"+Inf\"} ")
        .append(s.batches())
        .append('\n');
    out.append("cityvision_inference_batch_size_sum{model=\"")
        .append(m)
        .append("\"} ")
        .append(s.images())
        .append('\n');
    out.append("cityvision_inference_batch_size_count{model=\"")
        .append(m)
        .append("\"} ")
        .append(s.batches())
        .append('\n');
  }
}
