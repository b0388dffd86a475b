package org.cityvision.serving.config;

/**
 * The configuration file or an environment override is invalid; the message names the key and the
 * rule.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
