package org.cityvision.serving.metrics;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A histogram with fixed upper bounds (seconds, or any unit); lock-free. */
final class Histogram {
  private final double[] bounds;
  private final AtomicLongArray counts;
  private final DoubleAdder sum = new DoubleAdder();
  private final LongAdder count = new LongAdder();

  Histogram(double[] bounds) {
    this.bounds = bounds.clone();
    this.counts = new AtomicLongArray(bounds.length);
  }

  void observe(double value) {
    for (int i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        counts.incrementAndGet(i);
        break;
      }
    }
    sum.add(value);
    count.increment();
  }

  /** Writes {@code _bucket} (cumulative), {@code _sum} and {@code _count} lines. */
  void render(StringBuilder out, String name, String labels) {
    String sep = labels.isEmpty() ? "" : labels + ",";
    long cumulative = 0;
    for (int i = 0; i < bounds.length; i++) {
      cumulative += counts.get(i);
      out.append(name)
          .append("_bucket{")
          .append(sep)
          .append("le=\"")
          .append(Prometheus.number(bounds[i]))
          .append("\"} ")
          .append(cumulative)
          .append('\n');
    }
    long total = count.sum();
    out.append(name)
        .append("_bucket{")
        .append(sep)
        .append("le=\"+Inf\"} ")
        .append(total)
        .append('\n');
    String braces = labels.isEmpty() ? "" : "{" + labels + "}";
    out.append(name)
        .append("_sum")
        .append(braces)
        .append(' ')
        .append(Prometheus.number(sum.sum()))
        .append('\n');
    out.append(name).append("_count").append(braces).append(' ').append(total).append('\n');
  }
}
