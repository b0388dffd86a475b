package org.cityvision.core.image;

import org.opencv.core.Core;

/**
 * Loads OpenCV's native library (shipped inside org.openpnp:opencv) once per JVM. Every class that
 * touches {@code org.opencv} calls {@link #load()} first; it is cheap after the first call.
 *
 * <p>It also sets OpenCV's own thread pool (the pthreads framework in this build, one thread per
 * core by default) to {@value #DEFAULT_THREADS} thread: the product already works on many images at
 * once (decode threads, inference workers, view loaders), and OpenCV splitting each resize or
 * colour conversion across every core on top of that only adds hand-offs and takes cores from
 * inference. The system property {@value #THREADS_PROPERTY} sets another count (0 = OpenCV's
 * default).
 */
public final class OpenCvRuntime {
  /** System property: OpenCV's thread count; 0 leaves OpenCV's default (one per core). */
  public static final String THREADS_PROPERTY = "cityvision.opencvThreads";

  static final int DEFAULT_THREADS = 1;
  private static volatile boolean loaded;

  private OpenCvRuntime() {}

  /** Loads the native library if this JVM has not yet; thread-safe. */
  public static void load() {
    if (!loaded) {
      synchronized (OpenCvRuntime.class) {
        if (!loaded) {
          nu.pattern.OpenCV.loadLocally();
          int threads = Integer.getInteger(THREADS_PROPERTY, DEFAULT_THREADS);
          if (threads > 0) {
            Core.setNumThreads(threads);
          }
          loaded = true;
        }
      }
    }
  }

  /** OpenCV's thread count now (after {@link #load()}). */
  public static int threads() {
    load();
    return Core.getNumThreads();
  }
}
