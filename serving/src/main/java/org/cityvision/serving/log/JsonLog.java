package org.cityvision.serving.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes one JSON object per line on stderr: {@code ts}, {@code level}, {@code event}, then the
 * caller's fields (request id, route, status, ...). Callers on the event loop only format the line
 * and offer it to a bounded queue; one daemon thread writes. When the queue is full the line is
 * dropped and counted, never buffered without bound (a slow terminal must not slow the server).
 *
 * <p>Thread-safe. One instance per process ({@link #get()}).
 */
public final class JsonLog {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final JsonLog INSTANCE = new JsonLog(System.err, 16_384);

  private final BlockingQueue<String> lines;
  private final AtomicLong dropped = new AtomicLong();
  private final PrintStream out;

  private JsonLog(PrintStream out, int capacity) {
    this.out = out;
    this.lines = new ArrayBlockingQueue<>(capacity);
    Thread writer = new Thread(this::write, "cityvision-log-writer");
    writer.setDaemon(true);
    writer.start();
  }

  public static JsonLog get() {
    return INSTANCE;
  }

  /** Lines dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  public void info(String event, Object... fields) {
    log("info", event, null, fields);
  }

  public void warn(String event, Object... fields) {
    log("warn", event, null, fields);
  }

  /** Logs an error with its stack trace (the log is for operators; clients never see it). */
  public void error(String event, Throwable error, Object... fields) {
    log("error", event, error, fields);
  }

  /** {@code fields} alternate names and values; null values are left out. */
  private void log(String level, String event, Throwable error, Object... fields) {
    StringWriter text = new StringWriter(160);
    try (JsonGenerator g = FACTORY.createGenerator(text)) {
      g.writeStartObject();
      g.writeStringField("ts", Instant.now().toString());
      g.writeStringField("level", level);
      g.writeStringField("event", event);
      for (int i = 0; i + 1 < fields.length; i += 2) {
        Object v = fields[i + 1];
        if (v == null) {
          continue;
        }
        String name = String.valueOf(fields[i]);
        if (v instanceof Integer || v instanceof Long) {
          g.writeNumberField(name, ((Number) v).longValue());
        } else if (v instanceof Number n) {
          g.writeNumberField(name, n.doubleValue());
        } else if (v instanceof Boolean b) {
          g.writeBooleanField(name, b);
        } else {
          g.writeStringField(name, v.toString());
        }
      }
      if (error != null) {
        g.writeStringField("error", error.toString());
        java.io.StringWriter trace = new java.io.StringWriter();
        error.printStackTrace(new java.io.PrintWriter(trace));
        g.writeStringField("stack", trace.toString());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot format a log line", e);
    }
    if (!lines.offer(text.toString())) {
      dropped.incrementAndGet();
    }
  }

  /** Waits up to {@code millis} for queued lines to be written (at shutdown). */
  public void flush(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!lines.isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      Thread.yield();
    }
    out.flush();
  }

  private void write() {
    List<String> batch = new ArrayList<>(256);
    while (true) {
      try {
        batch.add(lines.take());
        lines.drainTo(batch, 255);
        StringBuilder sb = new StringBuilder(batch.size() * 160);
        for (String line : batch) {
          sb.append(line).append('\n');
        }
        out.print(sb);
        out.flush();
        batch.clear();
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
