package org.cityvision.serving.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Applies the configured levels ({@code log.level} for the root logger, {@code log.levels} per
 * logger) over those of {@code logback.xml}, and routes {@code java.util.logging} into SLF4J.
 * Applying again first restores what the previous call changed, so a level only lasts while it is
 * configured. Without Logback as the SLF4J provider (a replaced class path) it changes nothing.
 *
 * <p>Thread-safe.
 */
public final class LogLevels {
  /**
   * Loggers changed by the last {@link #apply}, with the level each had before (null: inherited).
   */
  private static final Map<String, Level> CHANGED = new HashMap<>();

  private LogLevels() {}

  /** Sends every {@code java.util.logging} record to SLF4J (once per process). */
  public static synchronized void bridgeJavaUtilLogging() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Sets the root logger to {@code rootLevel} and each named logger to its level.
   *
   * @param rootLevel one of trace, debug, info, warn, error, off
   * @param levels logger name → level
   */
  public static synchronized void apply(String rootLevel, Map<String, String> levels) {
    bridgeJavaUtilLogging();
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    CHANGED.forEach((name, before) -> context.getLogger(name).setLevel(before));
    CHANGED.clear();
    set(context, Logger.ROOT_LOGGER_NAME, rootLevel);
    levels.forEach((name, level) -> set(context, name, level));
  }

  private static void set(LoggerContext context, String name, String level) {
    Logger logger = context.getLogger(name);
    CHANGED.putIfAbsent(name, logger.getLevel());
    logger.setLevel(Level.toLevel(level, null));
  }
}
