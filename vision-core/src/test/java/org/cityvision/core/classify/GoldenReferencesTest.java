package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GoldenReferencesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ClassifierOptions TWO_WORKERS =
      new ClassifierOptions(2, 1, 4, Duration.ofMillis(1), 16, 3, true, ImageLimits.DEFAULT);

  @TempDir Path dir;
  private ModelPackage pkg;

  @BeforeEach
  void buildPackage() throws Exception {
    pkg = TestModels.untrainedPackage(dir, "waste", TestModels.WASTE_LABELS, 160);
  }

  @Test
  void referencesWrittenAtBuildPassTheClassifiersCheckAndMatchItsAnswers() throws Exception {
    GoldenReferences golden = GoldenReferences.create(pkg);

    assertEquals(GoldenReferences.COUNT, golden.references().size());
    assertEquals(golden, GoldenReferences.read(pkg).orElseThrow());
    try (Classifier classifier = Classifier.open(pkg, TWO_WORKERS)) {
      for (GoldenReferences.Reference r : golden.references()) {
        Classification c = classifier.classify(Files.readAllBytes(dir.resolve(r.image())));
        for (int i = 0; i < c.probabilities().size(); i++) {
          assertEquals(
              r.probabilities().get(i), c.probabilities().get(i), 1e-5, r.image() + " label " + i);
        }
      }
    }
  }

  @Test
  void classifierRefusesToStartWhenItComputesAReferenceDifferently() throws Exception {
    GoldenReferences.create(pkg);
    // What a miscomputing kernel looks like from the check's side: the node's answer for one
    // reference moves by 0.05 from what the package recorded.
    ObjectNode doc = (ObjectNode) JSON.readTree(dir.resolve(GoldenReferences.FILE).toFile());
    ArrayNode probabilities = (ArrayNode) doc.withArray("references").get(2).get("probabilities");
    probabilities.set(0, probabilities.get(0).asDouble() + 0.05);
    probabilities.set(1, probabilities.get(1).asDouble() - 0.05);
    JSON.writeValue(dir.resolve(GoldenReferences.FILE).toFile(), doc);

    ModelException e =
        assertThrows(ModelException.class, () -> Classifier.open(pkg, TWO_WORKERS).close());
    assertTrue(
        e.getMessage().contains("golden-2.png") && e.getMessage().contains("ONEDNN_MAX_CPU_ISA"),
        e.getMessage());
  }

  @Test
  void aPackageWithoutReferencesStillOpens() throws Exception {
    assertTrue(GoldenReferences.read(pkg).isEmpty());
    try (Classifier classifier = Classifier.open(pkg, TWO_WORKERS)) {
      assertEquals(pkg.spec().labels(), classifier.spec().labels());
    }
  }

  @Test
  void refusesReferencesNamingAMissingImageOrTheWrongNumberOfLabels() throws Exception {
    GoldenReferences golden = GoldenReferences.create(pkg);
    Files.delete(dir.resolve("golden-1.png"));
    ModelException missing = assertThrows(ModelException.class, () -> GoldenReferences.read(pkg));
    assertTrue(missing.getMessage().contains("golden-1.png"), missing.getMessage());

    GoldenReferences.Reference short3 =
        new GoldenReferences.Reference("golden-0.png", List.of(0.2, 0.3, 0.5));
    JSON.writeValue(
        dir.resolve(GoldenReferences.FILE).toFile(),
        new GoldenReferences(golden.tolerance(), List.of(short3)));
    ModelException labels = assertThrows(ModelException.class, () -> GoldenReferences.read(pkg));
    assertTrue(labels.getMessage().contains("3 probabilities"), labels.getMessage());
  }
}
