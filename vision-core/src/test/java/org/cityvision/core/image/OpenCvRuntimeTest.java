package org.cityvision.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class OpenCvRuntimeTest {
  @Test
  void openCvRunsOneThreadUnlessToldOtherwise() {
    assumeTrue(
        System.getProperty(OpenCvRuntime.THREADS_PROPERTY) == null,
        "skipped: " + OpenCvRuntime.THREADS_PROPERTY + " is set for this JVM");
    assertEquals(
        OpenCvRuntime.DEFAULT_THREADS,
        OpenCvRuntime.threads(),
        "the product parallelises over images; OpenCV's own pool must not add threads on top");
  }
}
