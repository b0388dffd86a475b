package org.cityvision.models.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.cityvision.datasets.folder.Sample;
import org.junit.jupiter.api.Test;

class RiskCoverageTest {
  @Test
  void answersOnlyImagesAtOrAboveTheThresholdAndScoresThoseAnswers() {
    List<String> labels = List.of("a", "b");
    List<Sample> samples = List.of(sample(0), sample(1), sample(2), sample(3));
    float[][] p = {{0.95f, 0.05f}, {0.8f, 0.2f}, {0.4f, 0.6f}, {0.55f, 0.45f}};
    int[] truth = {0, 1, 1, 0};
    Predictions predictions = new Predictions(labels, samples, truth, p);

    RiskCoverage curve = RiskCoverage.of(predictions);

    assertEquals(20, curve.points().size());
    assertEquals(new RiskCoverage.Point(0.0, 1.0, 0.75), curve.points().get(0));
    RiskCoverage.Point at07 = RiskCoverage.at(predictions, 0.7);
    assertEquals(0.5, at07.coverage(), 1e-9);
    assertEquals(0.5, at07.accuracy(), 1e-9);
    RiskCoverage.Point at09 = RiskCoverage.at(predictions, 0.9);
    assertEquals(0.25, at09.coverage(), 1e-9);
    assertEquals(1.0, at09.accuracy(), 1e-9);
    assertEquals(0.0, RiskCoverage.at(predictions, 0.99).coverage(), 1e-9);
  }

  private static Sample sample(int i) {
    return new Sample("a/" + i + ".jpg", Path.of(i + ".jpg"), "a", "s", "");
  }
}
