package org.cityvision.serving.log;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import net.logstash.logback.appender.LoggingEventAsyncDisruptorAppender;
import net.logstash.logback.appender.listener.AppenderListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asynchronous front of the log (logstash-logback-encoder's ring-buffer appender): a caller
 * only hands its event to a bounded ring buffer and one daemon thread writes the lines, so a slow
 * terminal or journal never slows an event loop. When the buffer is full the line is dropped at
 * once and counted ({@link #dropped()}, the metric {@code cityvision_log_lines_dropped_total}),
 * never buffered without bound.
 *
 * <p>Configured in {@code logback.xml}. Thread-safe.
 */
public final class JsonLineAppender extends LoggingEventAsyncDisruptorAppender {
  private static final AtomicLong DROPPED = new AtomicLong();

  public JsonLineAppender() {
    // Logback's default console status listener would print the drop warnings on stdout.
    setAddDefaultStatusListener(false);
    addListener(
        new AppenderListener<>() {
          @Override
          public void eventAppendFailed(
              Appender<ILoggingEvent> appender, ILoggingEvent event, Throwable reason) {
            DROPPED.incrementAndGet();
          }
        });
  }

  /** Lines dropped in this process because the ring buffer was full (or the appender stopped). */
  public static long dropped() {
    return DROPPED.get();
  }

  /**
   * Waits up to {@code millis} until every line handed to the log so far is written (at shutdown
   * and before the process exits: the writer is a daemon thread).
   */
  public static void drain(long millis) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (Iterator<Appender<ILoggingEvent>> it =
            context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
        it.hasNext(); ) {
      if (it.next() instanceof JsonLineAppender async) {
        while (async.isStarted() && !async.isRingBufferEmpty() && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
    }
    System.err.flush();
  }
}
