package org.cityvision.app.bench;

import java.util.ArrayList;
import java.util.List;

/** A markdown table built row by row. Not thread-safe. */
final class Table {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... header) {
    this.header = List.of(header);
  }

  void row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(
          "row has " + cells.length + " cells, table has " + header.size());
    }
    List<String> row = new ArrayList<>();
    for (Object c : cells) {
      row.add(c instanceof Double d ? format(d) : String.valueOf(c));
    }
    rows.add(row);
  }

  static String format(double d) {
    if (Double.isNaN(d)) {
      return "n/a";
    }
    if (Math.abs(d) >= 100) {
      return String.format("%.0f", d);
    }
    if (Math.abs(d) >= 10) {
      return String.format("%.1f", d);
    }
    return String.format("%.2f", d);
  }

  String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("| ").append(String.join(" | ", header)).append(" |\n");
    out.append("|").append("---|".repeat(header.size())).append("\n");
    for (List<String> row : rows) {
      out.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    return out.toString();
  }
}
