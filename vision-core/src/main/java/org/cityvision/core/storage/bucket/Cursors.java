package org.cityvision.core.storage.bucket;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque listing cursors: the last key a page examined, so the next page starts after it. */
public final class Cursors {
  private static final String TAG = "k1:";

  private Cursors() {}

  public static String encode(String lastKey) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((TAG + lastKey).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The key a cursor stands for, or {@code null} for a null cursor.
   *
   * @throws IllegalArgumentException if it is not a cursor of a listing under {@code prefix}
   */
  public static String decode(String cursor, String prefix) {
    if (cursor == null) {
      return null;
    }
    String key;
    try {
      key = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cursor is not one this store issued", e);
    }
    if (!key.startsWith(TAG) || !key.startsWith(prefix, TAG.length())) {
      throw new IllegalArgumentException("cursor does not belong to this listing");
    }
    return key.substring(TAG.length());
  }
}
