package org.cityvision.serving.config;

/** Range checks shared by the configuration records; messages name the key and the range. */
final class Bounds {
  private Bounds() {}

  static int require(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          key + " must be in " + min + ".." + max + ", got " + value);
    }
    return value;
  }

  static long require(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          key + " must be in " + min + ".." + max + ", got " + value);
    }
    return value;
  }

  static String requireText(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " must not be empty");
    }
    return value.strip();
  }
}
