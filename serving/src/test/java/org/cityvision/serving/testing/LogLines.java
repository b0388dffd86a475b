package org.cityvision.serving.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the JSON log lines a node or command wrote on stderr, checking the fields every line has.
 */
public final class LogLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LogLines() {}

  /**
   * Parses one line: one JSON object with {@code ts} (ISO-8601, UTC), {@code level}, {@code
   * logger}, {@code thread} and {@code message}; fails the test otherwise.
   */
  public static JsonNode parse(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (IOException e) {
      return fail("not a JSON line: " + line, e);
    }
    assertTrue(node != null && node.isObject(), "not a JSON object: " + line);
    for (String field : List.of("ts", "level", "logger", "thread", "message")) {
      assertTrue(
          node.path(field).isTextual() && !node.path(field).asText().isEmpty(),
          "no '" + field + "' in " + line);
    }
    assertTrue(node.path("ts").asText().endsWith("Z"), "time not in UTC: " + line);
    Instant.parse(node.path("ts").asText());
    assertTrue(
        List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(node.path("level").asText()),
        line);
    return node;
  }

  /** Parses every non-empty line of {@code text}. */
  public static List<JsonNode> parseAll(String text) {
    List<JsonNode> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isEmpty()) {
        out.add(parse(line));
      }
    }
    return out;
  }

  /** The lines with {@code "event": event}. */
  public static List<JsonNode> events(List<JsonNode> lines, String event) {
    return lines.stream().filter(l -> event.equals(l.path("event").asText())).toList();
  }
}
