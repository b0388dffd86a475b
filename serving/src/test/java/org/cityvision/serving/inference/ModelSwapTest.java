package org.cityvision.serving.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierClosedException;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Swapping versions in the registry with real classifiers: whoever leased a version finishes on it,
 * and the replaced classifier closes only when the last lease (a request's or a batch job's) is
 * given back.
 */
class ModelSwapTest {
  @TempDir Path dir;
  private ModelRegistry registry;
  private final byte[] jpeg = TestImages.jpeg(320, 240, 11);

  @BeforeEach
  void open() throws Exception {
    ServerConfig c = ServingFixture.withModels(dir.resolve("data"));
    registry =
        ModelRegistry.load(
            Map.of("waste", Path.of(c.models().waste())),
            true,
            c.inference(),
            c.images().limits(c.http().bodyLimitBytes()));
  }

  @AfterEach
  void close() {
    if (registry != null) {
      registry.close();
    }
  }

  private ServedModel secondVersion() throws Exception {
    String version = registry.task("waste").orElseThrow().version() + "-next";
    return registry.open("waste", ServingFixture.wasteCopy(dir.resolve("next"), version));
  }

  @Test
  void aRequestsLeasedVersionAnswersAfterTheSwapAndClosesWhenReleased() throws Exception {
    ServedModel leased = registry.lease("waste").orElseThrow();
    String before = leased.version();
    ServedModel next = secondVersion();

    registry.swap(next);

    assertEquals(next.version(), registry.task("waste").orElseThrow().version());
    assertEquals(
        before, leased.classifier().classify(jpeg).version(), "the leased version still answers");
    assertEquals(
        next.version(),
        registry
            .lease("waste")
            .map(
                m -> {
                  try {
                    return m.classifier().classify(jpeg).version();
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  } finally {
                    m.release();
                  }
                })
            .orElseThrow());
    assertEquals(1, registry.statuses().get("waste").swaps());
    leased.release();
    awaitClosed(leased.classifier());
  }

  @Test
  void aBatchJobsVersionStaysOpenWhileAJobRunsAndClosesOnceNoneDoes() throws Exception {
    String before = registry.task("waste").orElseThrow().version();
    Classifier forJob = registry.leaseForBatch("waste").orElseThrow();
    registry.swap(secondVersion());

    registry.releaseIdleBatchLeases(true, Duration.ZERO);
    assertEquals(before, forJob.classify(jpeg).version(), "a running job goes on with its version");
    registry.releaseIdleBatchLeases(false, Duration.ZERO);
    awaitClosed(forJob);
  }

  private void awaitClosed(Classifier classifier) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        classifier.classify(jpeg);
      } catch (ClassifierClosedException e) {
        return;
      } catch (Exception e) {
        throw new AssertionError("unexpected failure while waiting for the close", e);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    throw new AssertionError("the replaced classifier was not closed within 30 s");
  }
}
