package org.cityvision.datasets.folder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.cityvision.datasets.DatasetException;

/**
 * A dataset's {@code manifest.csv}: one row per image, with a header naming the columns. {@code
 * file} is required; {@code class}, {@code source}, {@code license}, {@code group} and {@code task}
 * are used when present, other columns are kept. One manifest may describe several datasets side by
 * side (../shared/datasets has one for {@code waste/} and {@code urban/}); then its {@code task}
 * column says which rows belong to which folder.
 *
 * <p>Immutable and thread-safe.
 */
public final class Manifest {
  public static final String FILE_NAME = "manifest.csv";

  /** One row: its columns by lower-case header name. */
  public record Row(Map<String, String> columns) {
    public Row {
      columns = Map.copyOf(columns);
    }

    public String get(String column) {
      return columns.getOrDefault(column, "");
    }
  }

  private static final Manifest EMPTY = new Manifest(null, Map.of());

  private final Path file;
  private final Map<String, Row> byClassAndFile;

  private Manifest(Path file, Map<String, Row> byClassAndFile) {
    this.file = file;
    this.byClassAndFile = Map.copyOf(byClassAndFile);
  }

  /** A manifest with no rows: every image gets defaults. */
  public static Manifest empty() {
    return EMPTY;
  }

  /**
   * The manifest for the dataset folder {@code root}: {@code root/manifest.csv}, else the parent's
   * {@code manifest.csv} restricted to rows whose {@code task} is the folder's name, else none.
   */
  public static Manifest find(Path root) throws DatasetException {
    Path own = root.resolve(FILE_NAME);
    if (Files.isRegularFile(own)) {
      return read(own, null);
    }
    Path parent = root.toAbsolutePath().normalize().getParent();
    if (parent != null && Files.isRegularFile(parent.resolve(FILE_NAME))) {
      return read(
          parent.resolve(FILE_NAME), root.toAbsolutePath().normalize().getFileName().toString());
    }
    return EMPTY;
  }

  /**
   * Reads a manifest; with {@code task} non-null, keeps only rows whose {@code task} column equals
   * it (rows without a task column are kept).
   */
  public static Manifest read(Path file, String task) throws DatasetException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DatasetException("cannot read manifest " + file + ": " + e.getMessage(), e);
    }
    if (lines.isEmpty()) {
      throw new DatasetException(
          "manifest " + file + " is empty: it needs a header with a 'file' column");
    }
    List<String> header = new ArrayList<>();
    for (String h : parseLine(lines.get(0), file, 1)) {
      header.add(h.trim().toLowerCase(Locale.ROOT));
    }
    if (!header.contains("file")) {
      throw new DatasetException("manifest " + file + " has no 'file' column; header is " + header);
    }
    Map<String, Row> rows = new HashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      List<String> values = parseLine(lines.get(i), file, i + 1);
      if (values.size() != header.size()) {
        throw new DatasetException(
            "manifest "
                + file
                + " line "
                + (i + 1)
                + " has "
                + values.size()
                + " fields; the header has "
                + header.size());
      }
      Map<String, String> columns = new HashMap<>();
      for (int c = 0; c < header.size(); c++) {
        columns.put(header.get(c), values.get(c));
      }
      Row row = new Row(columns);
      if (task != null && !row.get("task").isEmpty() && !row.get("task").equals(task)) {
        continue;
      }
      rows.put(key(row.get("class"), row.get("file")), row);
    }
    return new Manifest(file, rows);
  }

  /** The row for an image, looked up by class and file name (or by file name alone). */
  public Optional<Row> row(String label, String fileName) {
    Row row = byClassAndFile.get(key(label, fileName));
    if (row == null) {
      row = byClassAndFile.get(key("", fileName));
    }
    return Optional.ofNullable(row);
  }

  /** Rows kept. */
  public int size() {
    return byClassAndFile.size();
  }

  /** The file read, if any. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  private static String key(String label, String fileName) {
    return label + "/" + fileName;
  }

  /** RFC 4180 fields: commas separate, double quotes quote, two double quotes are one. */
  static List<String> parseLine(String line, Path file, int lineNumber) throws DatasetException {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          field.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        out.add(field.toString());
        field.setLength(0);
      } else {
        field.append(ch);
      }
    }
    if (quoted) {
      throw new DatasetException(
          "manifest " + file + " line " + lineNumber + " has an unclosed quote");
    }
    out.add(field.toString());
    return out;
  }
}
