package org.cityvision.core.camera;

import org.cityvision.core.naming.Names;

/**
 * A camera's id, also a sorting machine's: 1-64 characters of {@code [A-Za-z0-9_-]}. Camera ids
 * become storage key segments and URL path segments, so they hold no dots, slashes or characters
 * needing escapes.
 *
 * @param value the id as given
 */
public record CameraId(String value) {
  /** The rule, as messages state it. */
  public static final String RULE = Names.SEGMENT_RULE;

  public CameraId {
    if (!isValid(value)) {
      throw new IllegalArgumentException("camera id '" + value + "' is not " + RULE);
    }
  }

  /** Whether {@code value} is a camera id ({@code null} is not). */
  public static boolean isValid(String value) {
    return Names.isSegment(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
