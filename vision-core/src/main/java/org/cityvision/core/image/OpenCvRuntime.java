package org.cityvision.core.image;

/**
 * Loads OpenCV's native library (shipped inside org.openpnp:opencv) once per JVM. Every class that
 * touches {@code org.opencv} calls {@link #load()} first; it is cheap after the first call.
 */
public final class OpenCvRuntime {
  private static volatile boolean loaded;

  private OpenCvRuntime() {}

  /** Loads the native library if this JVM has not yet; thread-safe. */
  public static void load() {
    if (!loaded) {
      synchronized (OpenCvRuntime.class) {
        if (!loaded) {
          nu.pattern.OpenCV.loadLocally();
          loaded = true;
        }
      }
    }
  }
}
