package org.cityvision.serving.config;

/** What to do with frames from a camera id that is not in {@code ingest.cameras}. */
public enum UnknownCameras {
  ACCEPT,
  REFUSE
}
