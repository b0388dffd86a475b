package org.cityvision.serving.cameras;

import java.util.List;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.quality.HealthTransition;

/**
 * Who hears about cameras changing condition (webhooks {@code camera.fault}, {@code camera.silent},
 * {@code camera.recovered}).
 *
 * <h2>Obligations</h2>
 *
 * Called from ingest and the silence sweep after the change is stored: must return at once, never
 * block and never throw.
 */
public interface CameraEvents {
  CameraEvents NONE = (camera, transition) -> {};

  /** {@code camera} (its state after the change) went through {@code transition}. */
  void cameraChanged(CameraState camera, HealthTransition transition);

  static CameraEvents all(List<? extends CameraEvents> listeners) {
    List<CameraEvents> copy = List.copyOf(listeners);
    return (camera, transition) -> copy.forEach(l -> l.cameraChanged(camera, transition));
  }
}
