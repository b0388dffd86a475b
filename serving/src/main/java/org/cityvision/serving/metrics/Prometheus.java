package org.cityvision.serving.metrics;

/** Text exposition format helpers (version 0.0.4). */
final class Prometheus {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private Prometheus() {}

  static String number(double v) {
    if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  /** Escapes a label value: backslash, double quote and newline. */
  static String label(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  static void help(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }
}
