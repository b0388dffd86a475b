package org.cityvision.serving.metrics;

import java.util.Collection;
import org.cityvision.serving.inference.ModelRegistry;

/**
 * The model-version series of {@code /metrics}, sampled at scrape time from the registry: which
 * version each task serves and which is live in the store, whether they agree, and the swaps done
 * and failed. An alert on {@code cityvision_model_serving_live == 0} finds a node left behind.
 */
public final class ModelVersionMetrics {
  private ModelVersionMetrics() {}

  public static String render(Collection<ModelRegistry.Status> statuses) {
    StringBuilder out = new StringBuilder(1024);
    Prometheus.help(
        out,
        "cityvision_model_info",
        "gauge",
        "1 per task: the model, the version this node serves and the live version in the store.");
    for (ModelRegistry.Status s : statuses) {
      out.append("cityvision_model_info{task=\"")
          .append(Prometheus.label(s.task()))
          .append("\",model=\"")
          .append(Prometheus.label(s.model()))
          .append("\",served=\"")
          .append(Prometheus.label(text(s.served())))
          .append("\",live=\"")
          .append(Prometheus.label(text(s.live())))
          .append("\"} 1\n");
    }
    Prometheus.help(
        out,
        "cityvision_model_serving_live",
        "gauge",
        "1 when the task serves the store's live version (or none is known), 0 when it is left behind.");
    for (ModelRegistry.Status s : statuses) {
      boolean ok = s.live() == null || s.live().equals(s.served());
      series(out, "cityvision_model_serving_live", s, ok ? 1 : 0);
    }
    Prometheus.help(
        out, "cityvision_model_swaps_total", "counter", "Versions swapped in without a restart.");
    statuses.forEach(s -> series(out, "cityvision_model_swaps_total", s, s.swaps()));
    Prometheus.help(
        out,
        "cityvision_model_swap_failures_total",
        "counter",
        "Live versions this node could not serve (download, checksum, load or warm-up failed).");
    statuses.forEach(s -> series(out, "cityvision_model_swap_failures_total", s, s.failedSwaps()));
    return out.toString();
  }

  private static void series(StringBuilder out, String name, ModelRegistry.Status s, long value) {
    out.append(name)
        .append("{task=\"")
        .append(Prometheus.label(s.task()))
        .append("\",model=\"")
        .append(Prometheus.label(s.model()))
        .append("\"} ")
        .append(value)
        .append('\n');
  }

  private static String text(String v) {
    return v == null ? "" : v;
  }
}
