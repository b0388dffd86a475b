package org.cityvision.serving.config;

/**
 * What the store keeps of a static camera frame (one that reused its camera's last result): {@code
 * store} its image and thumbnail like any frame; {@code metadata} its record and the reference to
 * the frame it reused only, no image bytes and no thumbnail (nor the decode that makes one).
 */
public enum StaticFrames {
  STORE,
  METADATA
}
