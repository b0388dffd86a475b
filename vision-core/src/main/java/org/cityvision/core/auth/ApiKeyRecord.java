package org.cityvision.core.auth;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.cityvision.core.naming.Names;

/**
 * An API key as stored: never the key itself, only its SHA-256.
 *
 * @param keyHash lower-case hex SHA-256 of the key the client presents
 * @param cameras for camera keys, the camera ids it may post as (empty: not bound by id)
 * @param cameraPrefix for camera keys, a camera id prefix it may post under, or {@code null}; a
 *     camera key with neither is unbound and may post as any camera
 * @param allowCaptureOverride the key may ask {@code POST /v1/classify/{task}} to keep or not keep
 *     its image ({@code X-Capture}), overriding the node's capture policy; records stored without
 *     it read as {@code false}
 */
public record ApiKeyRecord(
    String name,
    KeyRole role,
    String keyHash,
    Instant createdAt,
    List<String> cameras,
    String cameraPrefix,
    boolean allowCaptureOverride) {
  public ApiKeyRecord {
    Names.requireSegment("name", name);
    Objects.requireNonNull(role, "role");
    if (keyHash == null || !keyHash.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("keyHash must be 64 lower-case hex digits (SHA-256)");
    }
    Objects.requireNonNull(createdAt, "createdAt");
    CameraScope scope = new CameraScope(cameras, cameraPrefix);
    if (scope.bound() && role != KeyRole.CAMERA) {
      throw new IllegalArgumentException(
          "only camera keys are bound to cameras; a "
              + role.name().toLowerCase(Locale.ROOT)
              + " key may not list cameras or a camera prefix");
    }
    cameras = scope.ids();
    cameraPrefix = scope.prefix();
  }

  /** A key bound to no camera, without capture override. */
  public ApiKeyRecord(String name, KeyRole role, String keyHash, Instant createdAt) {
    this(name, role, keyHash, createdAt, List.of(), null, false);
  }

  /** A key with the given camera scope, without capture override. */
  public ApiKeyRecord(
      String name, KeyRole role, String keyHash, Instant createdAt, CameraScope scope) {
    this(name, role, keyHash, createdAt, scope.ids(), scope.prefix(), false);
  }

  /** A key bound to the given cameras, without capture override. */
  public ApiKeyRecord(
      String name,
      KeyRole role,
      String keyHash,
      Instant createdAt,
      List<String> cameras,
      String cameraPrefix) {
    this(name, role, keyHash, createdAt, cameras, cameraPrefix, false);
  }

  /** The cameras this key may post as. */
  public CameraScope scope() {
    return new CameraScope(cameras, cameraPrefix);
  }
}
