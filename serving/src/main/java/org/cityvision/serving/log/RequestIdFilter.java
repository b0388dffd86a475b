package org.cityvision.serving.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Sets the MDC's {@code requestId} from {@link RequestIds#current()} just before each enabled log
 * line is made, on the logging thread, and removes it when no request is in context. Because this
 * filter owns the key, a line logged on an event loop carries exactly the id of the request that
 * thread is running now: for our lines and for every library's. It never filters anything out.
 *
 * <p>Configured in {@code logback.xml} ({@code <turboFilter>}). Thread-safe.
 */
public final class RequestIdFilter extends TurboFilter {
  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    String id = RequestIds.current();
    String previous = MDC.get(RequestIds.MDC_KEY);
    if (id == null) {
      if (previous != null) {
        MDC.remove(RequestIds.MDC_KEY);
      }
    } else if (!id.equals(previous)) {
      MDC.put(RequestIds.MDC_KEY, id);
    }
    return FilterReply.NEUTRAL;
  }
}
