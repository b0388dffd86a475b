package org.cityvision.serving.config;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Logs (JSON lines on stderr; docs/OPERATIONS.md, "Logs").
 *
 * @param access one line per request: method, route, status, milliseconds, request id, key name
 * @param level the level of every logger that {@code levels} and {@code logback.xml} leave unset
 *     (trace, debug, info, warn, error or off)
 * @param levels logger name (a package or class: {@code org.eclipse.jetty}, {@code ai.djl}) →
 *     level; these override {@code logback.xml}'s quiet defaults for libraries
 */
public record LogConfig(boolean access, String level, Map<String, String> levels) {
  private static final Set<String> LEVELS =
      Set.of("trace", "debug", "info", "warn", "error", "off");
  private static final Pattern LOGGER =
      Pattern.compile("[A-Za-z_$][A-Za-z0-9_$-]*(\\.[A-Za-z_$][A-Za-z0-9_$-]*)*");

  public LogConfig {
    level = requireLevel("log.level", level == null ? "info" : level);
    Map<String, String> checked = new TreeMap<>();
    if (levels != null) {
      levels.forEach(
          (name, value) -> {
            if (name == null || name.length() > 200 || !LOGGER.matcher(name).matches()) {
              throw new IllegalArgumentException(
                  "log.levels: '"
                      + name
                      + "' is not a logger name (a package or class"
                      + " name such as org.eclipse.jetty)");
            }
            checked.put(name, requireLevel("log.levels." + name, value));
          });
    }
    levels = Collections.unmodifiableMap(checked);
  }

  /** The access log on or off, levels as {@link #defaults()}. */
  public LogConfig(boolean access) {
    this(access, "info", Map.of());
  }

  static LogConfig defaults() {
    return new LogConfig(true, "info", Map.of());
  }

  private static String requireLevel(String key, String value) {
    String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    if (!LEVELS.contains(v)) {
      throw new IllegalArgumentException(
          key + " must be one of trace, debug, info, warn, error, off; got '" + value + "'");
    }
    return v;
  }
}
