package org.cityvision.core.camera;

import java.util.regex.Pattern;

/**
 * A camera's id, also a sorting machine's: 1-64 characters of {@code [A-Za-z0-9_-]}. Camera ids
 * become storage key segments and URL path segments, so they hold no dots, slashes or characters
 * needing escapes.
 *
 * @param value the id as given
 */
public record CameraId(String value) {
  /** The rule, as messages state it. */
  public static final String RULE = "1-64 characters of [A-Za-z0-9_-]";

  private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public CameraId {
    if (!isValid(value)) {
      throw new IllegalArgumentException("camera id '" + value + "' is not " + RULE);
    }
  }

  /** Whether {@code value} is a camera id ({@code null} is not). */
  public static boolean isValid(String value) {
    return value != null && PATTERN.matcher(value).matches();
  }

  @Override
  public String toString() {
    return value;
  }
}
