package org.cityvision.serving.auth;

import java.util.Objects;
import org.cityvision.core.auth.CameraScope;
import org.cityvision.core.auth.KeyRole;

/**
 * Who is calling: the name and role of the API key presented, and for camera keys the cameras it
 * may post as.
 *
 * @param internal the node's own key ({@link ApiKeys#internalKey}): never rate-limited, and its
 *     requests are left out of the request metrics and the access log
 * @param allowCaptureOverride the key may send {@code X-Capture} to {@code POST
 *     /v1/classify/{task}}
 */
public record Principal(
    String name,
    KeyRole role,
    boolean internal,
    CameraScope cameras,
    boolean allowCaptureOverride) {
  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    cameras = cameras == null ? CameraScope.ANY : cameras;
  }

  /** A key's principal without capture override. */
  public Principal(String name, KeyRole role, boolean internal, CameraScope cameras) {
    this(name, role, internal, cameras, false);
  }

  /** A stored key's principal, bound to no camera. */
  public Principal(String name, KeyRole role) {
    this(name, role, false, CameraScope.ANY);
  }

  /** A key's principal, bound to no camera. */
  public Principal(String name, KeyRole role, boolean internal) {
    this(name, role, internal, CameraScope.ANY);
  }
}
