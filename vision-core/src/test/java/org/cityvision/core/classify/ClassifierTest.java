package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.image.CorruptImageException;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageHeader;
import org.cityvision.core.image.UnsupportedImageException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTest {
  @TempDir static Path dir;
  static ModelPackage pkg;

  @BeforeAll
  static void buildPackage() throws Exception {
    pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, 224);
  }

  private static ClassifierOptions options() {
    return ClassifierOptions.defaults()
        .withWorkers(2)
        .withTorchThreads(1)
        .withBatching(4, Duration.ofMillis(5))
        .withWarmup(false);
  }

  @Test
  void classifiesJpegIntoOneOfTheModelsLabelsWithProbabilities() throws Exception {
    try (Classifier classifier = Classifier.open(pkg, options())) {
      Classification c = classifier.classify(TestImages.jpeg(512, 384, 1));
      assertTrue(TestModels.WASTE_LABELS.contains(c.label()));
      assertEquals(5, c.top().size());
      assertEquals(c.label(), c.top().get(0).label());
      assertEquals(6, c.probabilities().size());
      assertEquals(1.0, c.probabilities().stream().mapToDouble(Double::doubleValue).sum(), 1e-4);
      for (int i = 1; i < c.top().size(); i++) {
        assertTrue(c.top().get(i - 1).score() >= c.top().get(i).score(), "top-k must be sorted");
      }
      assertEquals("waste", c.model());
      assertEquals("0.0.1-test", c.version());
      assertTrue(c.timings().inferenceNanos() > 0);
      assertTrue(c.timings().decodeNanos() > 0);
    }
  }

  @Test
  void prepareMakesTheTensorAndTheThumbnailFromOneDecode() throws Exception {
    byte[] jpeg = TestImages.jpeg(640, 360, 7);
    try (Classifier classifier = Classifier.open(pkg, options())) {
      Classification direct = classifier.classify(jpeg);

      PreparedImage prepared =
          classifier.prepare(jpeg, 160, 80, EnumSet.of(ImageFormat.JPEG, ImageFormat.PNG));

      assertEquals(ImageFormat.JPEG, prepared.header().format());
      assertEquals(640, prepared.header().width());
      ImageHeader thumbnail = classifier.decoder().inspect(prepared.thumbnail());
      assertEquals(160, thumbnail.width());
      assertEquals(90, thumbnail.height());
      assertEquals(pkg.spec().input().tensorSize(), prepared.tensor().length);
      Classification queued = classifier.submitAndRecycle(prepared.tensor()).get();
      assertEquals(direct.label(), queued.label());
      assertEquals(
          direct.score(), queued.score(), 0.02, "the same image, decoded at another scale");
      assertTrue(prepared.decodeNanos() > 0);
    }
  }

  @Test
  void prepareRefusesAFormatTheCallerDoesNotTake() throws Exception {
    try (Classifier classifier = Classifier.open(pkg, options())) {
      UnsupportedImageException e =
          assertThrows(
              UnsupportedImageException.class,
              () ->
                  classifier.prepare(
                      TestImages.png(64, 48, 3), 0, 0, EnumSet.of(ImageFormat.JPEG)));
      assertTrue(e.getMessage().contains("PNG"), e.getMessage());
    }
  }

  @Test
  void concurrentCallersGetTheSameAnswerAsOneCallerAndShareBatches() throws Exception {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      images.add(TestImages.jpeg(320, 240, 100 + i));
    }
    List<Classification> sequential = new ArrayList<>();
    try (Classifier classifier =
        Classifier.open(pkg, options().withWorkers(1).withBatching(1, Duration.ZERO))) {
      for (byte[] image : images) {
        sequential.add(classifier.classify(image));
      }
    }
    ExecutorService callers = Executors.newFixedThreadPool(12);
    try (Classifier classifier = Classifier.open(pkg, options())) {
      List<Future<Classification>> futures = new ArrayList<>();
      for (byte[] image : images) {
        futures.add(callers.submit(() -> classifier.classify(image)));
      }
      for (int i = 0; i < images.size(); i++) {
        Classification batched = futures.get(i).get();
        assertEquals(sequential.get(i).label(), batched.label());
        for (int c = 0; c < 6; c++) {
          assertEquals(
              sequential.get(i).probabilities().get(c), batched.probabilities().get(c), 1e-4);
        }
      }
      ClassifierStats stats = classifier.stats();
      assertEquals(24, stats.images());
      assertTrue(
          stats.batches() < 24, "12 concurrent callers should share forward passes, got " + stats);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aLoneRequestDoesNotWaitForABatchWhileAnotherWorkerIsIdle() throws Exception {
    byte[] image = TestImages.jpeg(320, 240, 7);
    Duration delay = Duration.ofMillis(800);
    try (Classifier two = Classifier.open(pkg, options().withWorkers(2).withBatching(8, delay))) {
      for (int i = 0; i < 4; i++) {
        long queued = two.classify(image).timings().queueNanos();
        assertTrue(
            queued < delay.toNanos() / 2,
            "waited " + queued / 1e6 + " ms for a batch with a worker idle");
      }
    }
    // With no other worker to take a later arrival, the worker still waits for company.
    try (Classifier one = Classifier.open(pkg, options().withWorkers(1).withBatching(8, delay))) {
      long queued = one.classify(image).timings().queueNanos();
      assertTrue(
          queued >= delay.toNanos() * 9 / 10,
          "a single worker waits up to maxDelay: " + queued / 1e6 + " ms");
    }
  }

  @Test
  void recycledTensorsComeBackForReuseAndNeverChangeAnAnswer() throws Exception {
    try (Classifier classifier = Classifier.open(pkg, options())) {
      byte[] image = TestImages.jpeg(320, 240, 11);
      Classification plain;
      try (var decoded = classifier.decoder().decode(image, 224, 224)) {
        plain = classifier.submit(classifier.preprocessor().toTensor(decoded)).get();
        float[] tensor = classifier.newTensor();
        classifier.preprocessor().toTensor(decoded.mat(), tensor, 0);
        Classification recycled = classifier.submitAndRecycle(tensor).get();
        assertEquals(plain.probabilities(), recycled.probabilities());
        assertSame(tensor, classifier.newTensor(), "the array came back once copied into a batch");
      }
      float[] own = new float[pkg.spec().input().tensorSize()];
      classifier.submit(own).get();
      assertNotSame(own, classifier.newTensor(), "an array passed to submit stays the caller's");
    }
  }

  @Test
  void fullQueueRefusesAtOnceWithOverCapacity() throws Exception {
    ClassifierOptions tiny =
        options().withWorkers(1).withBatching(1, Duration.ZERO).withQueueCapacity(2);
    try (Classifier classifier = Classifier.open(pkg, tiny)) {
      float[] tensor = new float[pkg.spec().input().tensorSize()];
      List<CompletableFuture<Classification>> accepted = new ArrayList<>();
      OverCapacityException refused = null;
      for (int i = 0; i < 50 && refused == null; i++) {
        try {
          accepted.add(classifier.submit(tensor));
        } catch (OverCapacityException e) {
          refused = e;
        }
      }
      assertTrue(refused != null, "a queue of 2 must refuse before 50 submissions");
      assertTrue(refused.getMessage().contains("full"), refused.getMessage());
      for (CompletableFuture<Classification> f : accepted) {
        assertTrue(
            TestModels.WASTE_LABELS.contains(f.get().label()), "accepted work still completes");
      }
      assertTrue(classifier.stats().rejected() >= 1);
    }
  }

  @Test
  void badImagesAreRefusedWithTypedErrorsAndClassifierKeepsWorking() throws Exception {
    try (Classifier classifier = Classifier.open(pkg, options())) {
      assertThrows(
          UnsupportedImageException.class, () -> classifier.classify("not an image".getBytes()));
      byte[] jpeg = TestImages.jpeg(200, 200, 5);
      assertThrows(
          CorruptImageException.class,
          () -> classifier.classify(Arrays.copyOf(jpeg, jpeg.length / 3)));
      assertTrue(TestModels.WASTE_LABELS.contains(classifier.classify(jpeg).label()));
    }
  }

  @Test
  void closingRefusesNewWorkAndFinishesQueuedWork() throws Exception {
    Classifier classifier = Classifier.open(pkg, options().withWorkers(1));
    float[] tensor = new float[pkg.spec().input().tensorSize()];
    List<CompletableFuture<Classification>> pending = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pending.add(classifier.submit(tensor));
    }
    classifier.close();
    for (CompletableFuture<Classification> f : pending) {
      try {
        assertTrue(TestModels.WASTE_LABELS.contains(f.get().label()));
      } catch (ExecutionException e) {
        assertTrue(
            e.getCause() instanceof ClassifierClosedException,
            "only a typed close error is acceptable");
      }
    }
    assertThrows(ClassifierClosedException.class, () -> classifier.submit(tensor));
    assertFalse(pending.isEmpty());
  }

  @Test
  void imagesGetTheSameProbabilitiesAloneAndInBatchesOf16WithTwoTorchThreads() throws Exception {
    // Warm-up compares every batch size with single images and refuses to open on a mismatch; on
    // this machine's CPU that needs ONEDNN_MAX_CPU_ISA=AVX2 (set by the build and the launcher).
    ClassifierOptions wide =
        options()
            .withWorkers(1)
            .withTorchThreads(2)
            .withBatching(16, Duration.ofMillis(5))
            .withWarmup(true);
    try (Classifier classifier = Classifier.open(pkg, wide)) {
      assertEquals(0, classifier.stats().images());
    } finally {
      JniUtils.setNumThreads(1);
    }
  }

  @Test
  void warmUpRunsEveryBatchSizeBeforeOpenReturns() throws Exception {
    try (Classifier classifier = Classifier.open(pkg, options().withWorkers(1).withWarmup(true))) {
      // Warm-up passes are not counted as work.
      assertEquals(0, classifier.stats().images());
      assertTrue(
          TestModels.WASTE_LABELS.contains(
              classifier.classify(TestImages.jpeg(64, 64, 9)).label()));
    }
  }
}
