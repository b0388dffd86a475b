package org.cityvision.serving.config;

/**
 * Logs (JSON lines on stderr).
 *
 * @param access one line per request: method, route, status, milliseconds, request id, key name
 */
public record LogConfig(boolean access) {
  static LogConfig defaults() {
    return new LogConfig(true);
  }
}
