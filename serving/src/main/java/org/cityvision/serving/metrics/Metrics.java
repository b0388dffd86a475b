package org.cityvision.serving.metrics;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import org.cityvision.core.classify.ClassifierStats;
import org.cityvision.core.storage.StoreHealth;

/**
 * The server's counters and histograms. Request-path calls are lock-free; {@link #render} writes the
 * Prometheus text format with gauges sampled at scrape time (queue depths, spool depth).
 *
 * <p>Thread-safe. One per server node.
 */
public final class Metrics {
  private static final double[] LATENCY = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

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
  private final LongAdder framesReused = new LongAdder();
  private volatile java.util.function.Supplier<Map<String, Integer>> cameraStates = Map::of;

  /** One finished request; {@code route} is the route template, never the raw path. */
  public void request(String method, String route, int status, long nanos) {
    requests.computeIfAbsent(new RequestKey(method, route, status), k -> new LongAdder()).increment();
    latency.computeIfAbsent(new RouteKey(method, route), k -> new Histogram(LATENCY)).observe(nanos / 1e9);
  }

  /** Time one image spent in a stage ({@code decode}, {@code queue}, {@code inference}) of a model. */
  public void stage(String model, String stage, long nanos) {
    stages.computeIfAbsent(new StageKey(model, stage), k -> new Histogram(LATENCY)).observe(nanos / 1e9);
  }

  /** A frame accepted; {@code durability} is {@code stored} or {@code spooled}. */
  /** A static camera frame stored with its camera's last result instead of a forward pass. */
  public void frameReused() {
    framesReused.increment();
  }

  /** Where the cameras-per-state gauge reads from (state wire name to count, as of the last sweep). */
  public void cameraStates(java.util.function.Supplier<Map<String, Integer>> source) {
    cameraStates = source;
  }

  public void frameStored(String durability) {
    framesStored.computeIfAbsent(durability, k -> new LongAdder()).increment();
  }

  public void flagCreated(String label) {
    flagsCreated.computeIfAbsent(label, k -> new LongAdder()).increment();
  }

  /** A request refused with 503 because the model's queue or admission limit was full. */
  public void overloaded(String task) {
    overloaded.computeIfAbsent(task, k -> new LongAdder()).increment();
  }

  public void rateLimited() {
    rateLimited.increment();
  }

  public void idempotentReplay() {
    idempotentReplays.increment();
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
  public String render(Map<String, ClassifierStats> models, Map<String, Integer> inFlight, StoreHealth store,
      long logLinesDropped) {
    StringBuilder out = new StringBuilder(8192);
    Prometheus.help(out, "cityvision_http_requests_total", "counter", "HTTP requests by route, method and status.");
    sorted(requests, Comparator.comparing(RequestKey::route).thenComparing(RequestKey::method)
        .thenComparingInt(RequestKey::status)).forEach((k, v) -> out.append("cityvision_http_requests_total{")
        .append(routeLabels(k.method(), k.route())).append(",status=\"").append(k.status()).append("\"} ")
        .append(v.sum()).append('\n'));
    Prometheus.help(out, "cityvision_http_request_duration_seconds", "histogram",
        "HTTP request latency by route and method, from first byte to last byte written.");
    sorted(latency, Comparator.comparing(RouteKey::route).thenComparing(RouteKey::method)).forEach((k, h) -> h.render(out, "cityvision_http_request_duration_seconds",
        routeLabels(k.method(), k.route())));

    Prometheus.help(out, "cityvision_inference_queue_depth", "gauge", "Tensors waiting for an inference worker.");
    models.forEach((m, s) -> gauge(out, "cityvision_inference_queue_depth", "model", m, s.queued()));
    Prometheus.help(out, "cityvision_inference_in_flight", "gauge",
        "Requests admitted per task (decoding, queued or running).");
    inFlight.forEach((t, n) -> gauge(out, "cityvision_inference_in_flight", "task", t, n));
    Prometheus.help(out, "cityvision_inference_images_total", "counter", "Images classified.");
    models.forEach((m, s) -> gauge(out, "cityvision_inference_images_total", "model", m, s.images()));
    Prometheus.help(out, "cityvision_inference_rejected_total", "counter", "Images refused: inference queue full.");
    models.forEach((m, s) -> gauge(out, "cityvision_inference_rejected_total", "model", m, s.rejected()));
    Prometheus.help(out, "cityvision_inference_seconds_total", "counter", "Time spent in forward passes.");
    models.forEach((m, s) -> out.append("cityvision_inference_seconds_total{model=\"").append(Prometheus.label(m))
        .append("\"} ").append(Prometheus.number(s.inferenceNanos() / 1e9)).append('\n'));
    Prometheus.help(out, "cityvision_inference_batch_size", "histogram", "Images per forward pass.");
    models.forEach((m, s) -> batchSizes(out, m, s));
    Prometheus.help(out, "cityvision_classify_stage_seconds", "histogram",
        "Per-image time by stage: decode (decode + preprocess), queue, inference (batch time / batch size).");
    sorted(stages, Comparator.comparing(StageKey::model).thenComparing(StageKey::stage)).forEach((k, h) ->
        h.render(out, "cityvision_classify_stage_seconds", "model=\"" + Prometheus.label(k.model()) + "\",stage=\""
            + Prometheus.label(k.stage()) + "\""));
    Prometheus.help(out, "cityvision_overload_rejected_total", "counter", "Requests refused with 503 (overload).");
    new TreeMap<>(overloaded).forEach((t, v) -> gauge(out, "cityvision_overload_rejected_total", "task", t, v.sum()));

    Prometheus.help(out, "cityvision_frames_stored_total", "counter", "Camera frames accepted, by durability.");
    for (String d : List.of("stored", "spooled")) {
      LongAdder v = framesStored.get(d);
      gauge(out, "cityvision_frames_stored_total", "durability", d, v == null ? 0 : v.sum());
    }
    Prometheus.help(out, "cityvision_frames_reused_total", "counter",
        "Static camera frames that reused their camera's last result (no forward pass).");
    out.append("cityvision_frames_reused_total ").append(framesReused.sum()).append('\n');
    Prometheus.help(out, "cityvision_cameras", "gauge", "Cameras per health state, as of the last silence sweep.");
    Map<String, Integer> states = cameraStates.get();
    for (String state : List.of("ok", "degraded", "fault", "silent")) {
      gauge(out, "cityvision_cameras", "state", state, states.getOrDefault(state, 0));
    }
    Prometheus.help(out, "cityvision_flags_created_total", "counter", "Frames put on the review queue, by label.");
    new TreeMap<>(flagsCreated).forEach((l, v) -> gauge(out, "cityvision_flags_created_total", "label", l, v.sum()));
    Prometheus.help(out, "cityvision_idempotent_replays_total", "counter", "Retries answered from the stored answer.");
    out.append("cityvision_idempotent_replays_total ").append(idempotentReplays.sum()).append('\n');
    Prometheus.help(out, "cityvision_rate_limited_total", "counter", "Requests refused with 429.");
    out.append("cityvision_rate_limited_total ").append(rateLimited.sum()).append('\n');
    Prometheus.help(out, "cityvision_auth_failures_total", "counter", "Requests refused with 401.");
    out.append("cityvision_auth_failures_total ").append(authFailures.sum()).append('\n');

    if (store != null) {
      Prometheus.help(out, "cityvision_store_reachable", "gauge", "1 when MinIO answered a bucket check.");
      out.append("cityvision_store_reachable ").append(store.reachable() ? 1 : 0).append('\n');
      Prometheus.help(out, "cityvision_spool_items", "gauge", "Writes waiting in the local spool.");
      out.append("cityvision_spool_items ").append(store.spoolItems()).append('\n');
      Prometheus.help(out, "cityvision_spool_bytes", "gauge", "Bytes waiting in the local spool.");
      out.append("cityvision_spool_bytes ").append(store.spoolBytes()).append('\n');
    }
    Prometheus.help(out, "cityvision_log_lines_dropped_total", "counter", "Log lines dropped: writer queue full.");
    out.append("cityvision_log_lines_dropped_total ").append(logLinesDropped).append('\n');
    return out.toString();
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
    out.append(name).append('{').append(label).append("=\"").append(Prometheus.label(value)).append("\"} ")
        .append(n).append('\n');
  }

  private static void batchSizes(StringBuilder out, String model, ClassifierStats s) {
    List<Long> sizes = s.batchSizes();
    long cumulative = 0;
    String m = Prometheus.label(model);
    for (int n = 1; n < sizes.size(); n++) {
      cumulative += sizes.get(n);
      out.append("cityvision_inference_batch_size_bucket{model=\"").append(m).append("\",le=\"").append(n)
          .append("\"} ").append(cumulative).append('\n');
    }
    out.append("cityvision_inference_batch_size_bucket{model=\"").append(m).append("\",le=\"+Inf\"} ")
        .append(s.batches()).append('\n');
    out.append("cityvision_inference_batch_size_sum{model=\"").append(m).append("\"} ").append(s.images()).append('\n');
    out.append("cityvision_inference_batch_size_count{model=\"").append(m).append("\"} ").append(s.batches())
        .append('\n');
  }
}
