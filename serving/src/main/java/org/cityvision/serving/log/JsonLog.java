package org.cityvision.serving.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Our structured events, through SLF4J: {@code JsonLog.get().info("server_started", "port", 8080)}
 * logs the message {@code server_started} with the key-values {@code event=server_started,
 * port=8080} on the logger of the calling class; Logback writes them as top-level JSON fields
 * ({@code logback.xml}). Numbers and booleans stay JSON numbers and booleans, anything else becomes
 * its string; {@code null} values are left out. An error adds {@code error} (the exception's {@code
 * toString()}) and its stack trace ({@code stack}).
 *
 * <p>Thread-safe. One instance per process ({@link #get()}).
 */
public final class JsonLog {
  private static final JsonLog INSTANCE = new JsonLog();
  private static final StackWalker WALKER =
      StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  private final ClassValue<Logger> loggers =
      new ClassValue<>() {
        @Override
        protected Logger computeValue(Class<?> type) {
          return LoggerFactory.getLogger(type);
        }
      };

  private JsonLog() {}

  public static JsonLog get() {
    return INSTANCE;
  }

  /** Lines dropped because the log's ring buffer was full ({@link JsonLineAppender}). */
  public long dropped() {
    return JsonLineAppender.dropped();
  }

  public void info(String event, Object... fields) {
    log(WALKER.getCallerClass(), Level.INFO, event, null, fields);
  }

  public void warn(String event, Object... fields) {
    log(WALKER.getCallerClass(), Level.WARN, event, null, fields);
  }

  /** Logs an error with its stack trace (the log is for operators; clients never see it). */
  public void error(String event, Throwable error, Object... fields) {
    log(WALKER.getCallerClass(), Level.ERROR, event, error, fields);
  }

  /**
   * {@code caller} names the logger: the class that called {@link #info}, {@link #warn} or {@link
   * #error} (for a lambda, its enclosing class); {@code fields} alternate names and values.
   */
  private void log(Class<?> caller, Level level, String event, Throwable error, Object... fields) {
    Logger logger = loggers.get(caller);
    if (!logger.isEnabledForLevel(level)) {
      return;
    }
    LoggingEventBuilder line = logger.atLevel(level).setMessage(event).addKeyValue("event", event);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      Object v = fields[i + 1];
      if (v == null) {
        continue;
      }
      line.addKeyValue(
          String.valueOf(fields[i]),
          v instanceof Number || v instanceof Boolean ? v : v.toString());
    }
    if (error != null) {
      line.addKeyValue("error", error.toString()).setCause(error);
    }
    line.log();
  }

  /** Waits up to {@code millis} for the lines logged so far to be written (at shutdown). */
  public void flush(long millis) {
    JsonLineAppender.drain(millis);
  }
}
