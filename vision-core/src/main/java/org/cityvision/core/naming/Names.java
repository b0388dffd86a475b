package org.cityvision.core.naming;

import java.util.regex.Pattern;

/**
 * The name rules of the system's identifiers (camera ids, labels, key names, job ids, model
 * versions, reviewers): every name can stand as one segment of a storage key, so the rules live
 * here, beside the domain types that check them, and the storage keys reuse them.
 */
public final class Names {
  /** Revisions (of a flag, a lease, a health record) stay below this: ten digits in a key. */
  public static final long MAX_REVISION = 9_999_999_999L;

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern DOTTED = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");

  private Names() {}

  /** The segment rule, as messages state it. */
  public static final String SEGMENT_RULE = "1-64 characters of [A-Za-z0-9_-]";

  /** Whether {@code value} follows the segment rule ({@code null} does not). */
  public static boolean isSegment(String value) {
    return value != null && SEGMENT.matcher(value).matches();
  }

  /** Requires a camera id, label, role-free name or job id: 1-64 of {@code [A-Za-z0-9_-]}. */
  public static String requireSegment(String what, String value) {
    if (!isSegment(value)) {
      throw new IllegalArgumentException(
          what + " must be " + SEGMENT_RULE + ", got " + quote(value));
    }
    return value;
  }

  /**
   * Like {@link #requireSegment} but also allows {@code .} and {@code @} (model versions,
   * reviewers).
   */
  public static String requireDottedSegment(String what, String value) {
    if (value == null
        || !DOTTED.matcher(value).matches()
        || value.equals(".")
        || value.equals("..")) {
      throw new IllegalArgumentException(
          what + " must be 1-64 characters of [A-Za-z0-9_.@-], got " + quote(value));
    }
    return value;
  }

  private static String quote(String value) {
    return value == null ? "null" : "'" + value + "'";
  }
}
