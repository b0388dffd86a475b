package org.cityvision.serving.log;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Swaps {@code System.err} (where the log's console appender writes) for a buffer, and parses what
 * was logged. Not thread-safe; one at a time per process.
 */
final class StderrCapture implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream previous = System.err;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

  StderrCapture() {
    this(null);
  }

  /** Writes go to {@code sink} when given (a stream that blocks, say), else to the buffer. */
  StderrCapture(OutputStream sink) {
    JsonLog.get().flush(5_000);
    System.setErr(new PrintStream(sink != null ? sink : synchronizedBuffer(), true, StandardCharsets.UTF_8));
  }

  private OutputStream synchronizedBuffer() {
    return new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (buffer) {
          buffer.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (buffer) {
          buffer.write(b, off, len);
        }
      }
    };
  }

  /**
   * Every line written so far, once what was logged before the call is written, each parsed and
   * checked: one JSON object with the fields every line has ({@code ts}, {@code level}, {@code
   * logger}, {@code thread}, {@code message}).
   */
  List<JsonNode> lines() {
    JsonLog.get().flush(10_000);
    String text;
    synchronized (buffer) {
      text = buffer.toString(StandardCharsets.UTF_8);
    }
    List<JsonNode> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      out.add(parse(line));
    }
    return out;
  }

  /** Parses one log line and checks the fields every line has. */
  static JsonNode parse(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (IOException e) {
      return fail("not a JSON line: " + line, e);
    }
    assertTrue(node != null && node.isObject(), "not a JSON object: " + line);
    for (String field : List.of("ts", "level", "logger", "thread", "message")) {
      assertTrue(node.path(field).isTextual() && !node.path(field).asText().isEmpty(),
          "no '" + field + "' in " + line);
    }
    assertTrue(node.path("ts").asText().endsWith("Z"), "time not in UTC: " + line);
    Instant.parse(node.path("ts").asText());
    assertTrue(List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(node.path("level").asText()), line);
    return node;
  }

  /** The lines with {@code "event": event}. */
  static List<JsonNode> events(List<JsonNode> lines, String event) {
    return lines.stream().filter(l -> event.equals(l.path("event").asText())).toList();
  }

  @Override
  public void close() {
    JsonLog.get().flush(10_000);
    System.setErr(previous);
  }
}
