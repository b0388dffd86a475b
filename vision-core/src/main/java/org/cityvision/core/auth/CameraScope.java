package org.cityvision.core.auth;

import java.util.List;
import java.util.Set;
import org.cityvision.core.camera.CameraId;
import org.cityvision.core.naming.Names;

/**
 * The cameras an API key may post frames as: listed ids, ids starting with a prefix, or — for an
 * unbound key — any camera. Immutable and thread-safe.
 *
 * @param ids camera ids this key may post as (empty: none listed)
 * @param prefix a camera id prefix this key may post under, or {@code null}
 */
public record CameraScope(List<String> ids, String prefix) {
  /** At most this many listed cameras per key: a site with more uses a prefix. */
  public static final int MAX_IDS = 1000;

  /** No binding: any camera. */
  public static final CameraScope ANY = new CameraScope(List.of(), null);

  public CameraScope {
    ids = ids == null ? List.of() : List.copyOf(Set.copyOf(ids)).stream().sorted().toList();
    if (ids.size() > MAX_IDS) {
      throw new IllegalArgumentException(
          "a key may list at most "
              + MAX_IDS
              + " cameras, got "
              + ids.size()
              + "; bind it to a camera id prefix instead");
    }
    ids.forEach(CameraId::new);
    if (prefix != null && prefix.isEmpty()) {
      prefix = null;
    }
    if (prefix != null) {
      Names.requireSegment("camera prefix", prefix);
    }
  }

  /** Whether the key is bound to some cameras (unbound keys may post as any camera). */
  public boolean bound() {
    return !ids.isEmpty() || prefix != null;
  }

  /** Whether a key with this scope may post frames as {@code cameraId}. */
  public boolean allows(String cameraId) {
    return !bound() || ids.contains(cameraId) || (prefix != null && cameraId.startsWith(prefix));
  }

  /**
   * The scope as users write it: {@code cameras [a, b]}, {@code prefix site-1-}, or {@code any
   * camera}.
   */
  public String describe() {
    if (!bound()) {
      return "any camera";
    }
    String listed = ids.isEmpty() ? "" : "cameras " + ids;
    String pre = prefix == null ? "" : "camera ids starting with '" + prefix + "'";
    return listed.isEmpty() ? pre : pre.isEmpty() ? listed : listed + " or " + pre;
  }
}
