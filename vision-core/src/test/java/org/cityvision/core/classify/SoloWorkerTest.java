package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The solo worker on the real PyTorch engine: a request alone in the process runs on both cores and
 * answers exactly as the one-thread workers do (its warm-up checks the package's golden references
 * at two threads); under concurrent load the ordinary workers carry the requests.
 */
class SoloWorkerTest {
  private static final ClassifierOptions WORKERS =
      new ClassifierOptions(2, 1, 1, Duration.ofMillis(1), 64, 3, true, ImageLimits.DEFAULT);

  @TempDir Path dir;

  private List<byte[]> references(ModelPackage pkg) throws Exception {
    List<byte[]> images = new ArrayList<>();
    for (GoldenReferences.Reference r : GoldenReferences.create(pkg).references()) {
      images.add(Files.readAllBytes(dir.resolve(r.image())));
    }
    return images;
  }

  private static void assertSameAnswer(Classification expected, Classification got, String what) {
    for (int i = 0; i < expected.probabilities().size(); i++) {
      assertEquals(
          expected.probabilities().get(i), got.probabilities().get(i), 1e-5, what + " label " + i);
    }
  }

  @Test
  void aLoneRequestRunsOnTheSoloWorkerAndAnswersAsTheOneThreadWorkersDo() throws Exception {
    ModelPackage pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, 160);
    List<byte[]> images = references(pkg);
    try (Classifier plain = Classifier.open(pkg, WORKERS);
        Classifier solo = Classifier.open(pkg, WORKERS.withSoloThreads(2))) {
      for (int i = 0; i < images.size(); i++) {
        assertSameAnswer(
            plain.classify(images.get(i)), solo.classify(images.get(i)), "reference " + i);
      }
      assertEquals(images.size(), solo.soloPasses(), "each request was alone in the process");
      assertEquals(0, plain.soloPasses());
    }
  }

  @Test
  void everyClassifierWithASoloWorkerRunsItsLoneRequestsOnOneSharedThread() throws Exception {
    ModelPackage waste = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, 160);
    List<byte[]> images = references(waste);
    ModelPackage other =
        TestModels.untrainedPackage(
            dir.resolve("other"), "urban", List.of("flooding", "graffiti", "normal"), 160);
    try (Classifier plain = Classifier.open(waste, WORKERS);
        Classifier first = Classifier.open(waste, WORKERS.withSoloThreads(2));
        Classifier second = Classifier.open(other, WORKERS.withSoloThreads(2))) {
      // One OpenMP team for lone requests however many models are served: a second team would
      // put both teams' idle helpers to sleep after every parallel region (SoloThread).
      List<String> soloThreads =
          Thread.getAllStackTraces().keySet().stream()
              .map(Thread::getName)
              .filter(n -> n.startsWith("cityvision-solo-"))
              .toList();
      assertEquals(List.of("cityvision-solo-2t"), soloThreads);
      for (byte[] image : images) {
        assertSameAnswer(plain.classify(image), first.classify(image), "first model");
        assertEquals(3, second.classify(image).probabilities().size());
      }
      assertEquals(images.size(), first.soloPasses());
      assertEquals(images.size(), second.soloPasses());
    }
    try (Classifier again = Classifier.open(waste, WORKERS.withSoloThreads(2))) {
      // Closed classifiers gave their predictors back on the shared thread; a new one uses it.
      again.classify(images.get(0));
      assertEquals(1, again.soloPasses());
    }
  }

  @Test
  void aClassifierClosedByCodeItsOwnAnswerRunsClosesAtOnce() throws Exception {
    ModelPackage pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, 160);
    List<byte[]> images = references(pkg);
    // The answer's dependent stages run on the thread that completed it: the shared solo thread
    // when the request ran alone, else a worker. Either must close without waiting on itself. A
    // pass elsewhere in the test JVM can keep a request off the solo thread, so try a few times.
    List<String> closedOn = new ArrayList<>();
    for (int attempt = 0; attempt < 5 && !closedOn.contains("cityvision-solo-2t"); attempt++) {
      Classifier solo = Classifier.open(pkg, WORKERS.withSoloThreads(2));
      float[] tensor = solo.prepare(images.get(0)).tensor();
      long start = System.nanoTime();
      closedOn.add(
          solo.submit(tensor)
              .thenApply(
                  answer -> {
                    solo.close();
                    return Thread.currentThread().getName();
                  })
              .get(60, TimeUnit.SECONDS));
      assertTrue(
          System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20),
          "closing from " + closedOn.get(closedOn.size() - 1) + " waited on itself");
    }
    assertTrue(closedOn.contains("cityvision-solo-2t"), "closed on " + closedOn);
    // A solo thread still waiting on itself would never start the next classifier's predictor.
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          try (Classifier next = Classifier.open(pkg, WORKERS.withSoloThreads(2))) {
            next.classify(images.get(1));
          }
        },
        "the solo thread is free for the next classifier");
  }

  @Test
  void underConcurrentLoadEveryRequestIsAnsweredCorrectlyAndMostRunOnTheOrdinaryWorkers()
      throws Exception {
    ModelPackage pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, 160);
    List<byte[]> images = references(pkg);
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (Classifier plain = Classifier.open(pkg, WORKERS);
        Classifier solo = Classifier.open(pkg, WORKERS.withSoloThreads(2))) {
      List<Classification> expected = new ArrayList<>();
      for (byte[] image : images) {
        expected.add(plain.classify(image));
      }
      CompletableFuture<Void> go = new CompletableFuture<>();
      List<Future<List<Classification>>> answers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        answers.add(
            callers.submit(
                () -> {
                  go.join();
                  List<Classification> out = new ArrayList<>();
                  for (int n = 0; n < 12; n++) {
                    out.add(solo.classify(images.get(n % images.size())));
                  }
                  return out;
                }));
      }
      go.complete(null);
      for (Future<List<Classification>> f : answers) {
        List<Classification> got = f.get();
        for (int n = 0; n < got.size(); n++) {
          assertSameAnswer(expected.get(n % images.size()), got.get(n), "request " + n);
        }
      }
      assertTrue(
          solo.soloPasses() < 8 * 12 / 2,
          "with 8 callers most requests find another pass running: "
              + solo.soloPasses()
              + " of 96 ran alone");
    } finally {
      callers.shutdownNow();
    }
  }
}
