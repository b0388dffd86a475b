package org.cityvision.serving.log;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.cityvision.serving.testing.LogLines;

/**
 * Swaps {@code System.err} (where the log's console appender writes) for a buffer, and parses what
 * was logged. Not thread-safe; one at a time per process.
 */
final class StderrCapture implements AutoCloseable {
  private final PrintStream previous = System.err;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

  StderrCapture() {
    this(null);
  }

  /** Writes go to {@code sink} when given (a stream that blocks, say), else to the buffer. */
  StderrCapture(OutputStream sink) {
    JsonLog.get().flush(5_000);
    System.setErr(
        new PrintStream(sink != null ? sink : synchronizedBuffer(), true, StandardCharsets.UTF_8));
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
    return LogLines.parseAll(text);
  }

  @Override
  public void close() {
    JsonLog.get().flush(10_000);
    System.setErr(previous);
  }
}
