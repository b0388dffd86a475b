package org.cityvision.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.classify.GoldenReferences;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped packages are part of the product: these tests need no ../shared. Each package is
 * copied alone into an empty folder first, so loading it proves it needs no file outside itself.
 */
class ShippedModelsTest {
  private static final long MAX_PACKAGE_BYTES = 20L * 1024 * 1024;

  @TempDir Path tmp;

  private static List<String> images(String task) throws IOException {
    try (InputStream in =
        ShippedModelsTest.class.getResourceAsStream(
            "/shipped-test-images/" + task + "/index.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .filter(l -> !l.isBlank())
          .toList();
    }
  }

  private static byte[] image(String task, String name) throws IOException {
    try (InputStream in =
        ShippedModelsTest.class.getResourceAsStream("/shipped-test-images/" + task + "/" + name)) {
      return in.readAllBytes();
    }
  }

  private Path copiedAlone(String task) throws IOException {
    Path shipped =
        ShippedModels.find(task)
            .orElseThrow(() -> new AssertionError("no shipped package models/" + task));
    Path copy = tmp.resolve(task);
    Files.createDirectories(copy);
    long bytes = 0;
    try (Stream<Path> files = Files.list(shipped)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
        bytes += Files.size(f);
      }
    }
    assertTrue(bytes < MAX_PACKAGE_BYTES, task + " package is " + bytes + " bytes");
    return copy;
  }

  @ParameterizedTest
  @ValueSource(strings = {"waste", "urban"})
  void theShippedPackageLoadsFromAnEmptyFolderAndClassifiesDrawnImages(String task)
      throws Exception {
    ModelPackage pkg = ModelPackage.read(copiedAlone(task));
    List<String> names = images(task);
    assertFalse(names.isEmpty());

    try (Classifier classifier =
        Classifier.open(pkg, ClassifierOptions.defaults().withWarmup(false))) {
      for (String name : names) {
        Classification c = classifier.classify(image(task, name));

        assertTrue(pkg.spec().labels().contains(c.label()), name + ": " + c.label());
        assertEquals(pkg.spec().labels().size(), c.probabilities().size());
        assertEquals(
            1.0, c.probabilities().stream().mapToDouble(Double::doubleValue).sum(), 1e-4, name);
        assertTrue(c.score() > 0 && c.score() <= 1, name + ": score " + c.score());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"waste", "urban"})
  void theShippedPackageCarriesItsThresholdsMetricsAndReport(String task) throws Exception {
    Path dir = ShippedModels.find(task).orElseThrow();
    ModelPackage pkg = ModelPackage.read(dir);

    assertEquals(task, pkg.spec().task());
    assertTrue(pkg.spec().metrics().path("accuracy").asDouble() > 0);
    assertFalse(pkg.spec().training().path("commandLine").asText().isBlank());
    if (task.equals("waste")) {
      // Sorting machines divert an item below this score: the waste package must carry it.
      assertTrue(pkg.spec().thresholds().uncertainBelow() > 0);
    } else {
      // Camera frames are flagged per issue class, never for `normal`; thresholds have a 0.30
      // floor.
      assertEquals(
          List.of("flooding", "garbage_dumping", "graffiti", "pothole_road_damage"),
          pkg.spec().thresholds().flag().keySet().stream().sorted().toList());
      pkg.spec()
          .thresholds()
          .flag()
          .forEach((label, t) -> assertTrue(t >= 0.3 && t < 1, label + ": " + t));
    }
    for (String file :
        List.of(
            "EVALUATION.md",
            "evaluation.json",
            "confusion_matrix.png",
            "training_curves.png",
            "README.md")) {
      assertTrue(Files.isRegularFile(dir.resolve(file)), task + ": " + file + " missing");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"waste", "urban"})
  void theShippedPackageCarriesAReplaySetOfAllItsOwnImagesAndGoldenReferences(String task)
      throws Exception {
    ModelPackage pkg = ModelPackage.read(copiedAlone(task));
    JsonNode split = pkg.spec().training().path("split");

    ReplaySet replay =
        ReplaySet.of(pkg).orElseThrow(() -> new AssertionError(task + ": no replay.bin"));

    assertEquals(pkg.spec().labels(), replay.labels());
    assertEquals(pkg.spec().backbone().featureSize(), replay.featureSize());
    assertEquals(
        split.path("train").asInt()
            + split.path("valImages").asInt()
            + split.path("testImages").asInt(),
        replay.size());
    Set<String> sources = new TreeSet<>();
    pkg.spec()
        .training()
        .path("dataset")
        .path("sources")
        .fieldNames()
        .forEachRemaining(sources::add);
    assertEquals(sources, new TreeSet<>(replay.sources()));
    for (ReplaySet.Split part : ReplaySet.Split.values()) {
      assertTrue(
          replay.filter(i -> replay.split(i) == part).size() > 0,
          task + ": no " + part + " images");
    }
    assertTrue(GoldenReferences.read(pkg).isPresent(), task + ": no golden.json");
  }
}
