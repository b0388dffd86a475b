package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cityvision.datasets.folder.Sample;
import org.junit.jupiter.api.Test;

class LeaveOneSourceOutTest {
  private static final List<String> LABELS = List.of("flooding", "normal", "graffiti");
  private static final int DIM = 1280;
  private static final LeaveOneSourceOut.HeadRecipe RECIPE =
      new LeaveOneSourceOut.HeadRecipe(15, 1e-2, 1e-4, 0.5, 7);

  /**
   * Three sources: "news" (flooding, normal), "cctv" (flooding, normal), "walls" (normal, graffiti:
   * no other source has graffiti). The class shows in features 0-2, the source in 3-5 (a cue), with
   * noise everywhere; one augmented view per image.
   */
  private record Data(List<Sample> samples, FeatureBank bank) {}

  private static Data data() {
    String[][] plan = {
      {"news", "flooding"},
      {"news", "normal"},
      {"cctv", "flooding"},
      {"cctv", "normal"},
      {"walls", "normal"},
      {"walls", "graffiti"}
    };
    Random random = new Random(5);
    List<Sample> samples = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (String[] p : plan) {
      for (int i = 0; i < 30; i++) {
        samples.add(new Sample(p[1] + "/" + p[0] + i, Path.of(p[0] + i + ".jpg"), p[1], p[0], ""));
        int label = LABELS.indexOf(p[1]);
        labels.add(label);
        for (int v = 0; v < 2; v++) {
          float[] f = new float[DIM];
          for (int d = 0; d < DIM; d++) {
            f[d] = (float) (random.nextGaussian() * 0.1);
          }
          f[label] += 2;
          f[3 + List.of("news", "cctv", "walls").indexOf(p[0])] += 1;
          rows.add(f);
        }
      }
    }
    float[] all = new float[rows.size() * DIM];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(rows.get(r), 0, all, r * DIM, DIM);
    }
    return new Data(
        samples,
        FeatureBank.of(DIM, 1, all, labels.stream().mapToInt(Integer::intValue).toArray()));
  }

  @Test
  void holdsOutEachSourceInTurnAndJudgesOnlyClassesAnotherSourceHas() {
    Data d = data();

    LeaveOneSourceOut.Result r =
        LeaveOneSourceOut.run(
            d.bank(),
            d.samples(),
            s -> s.id().endsWith("9"),
            LABELS,
            RECIPE,
            TrainingProgress.NONE);

    assertEquals(
        List.of("cctv", "news", "walls"),
        r.folds().stream().map(LeaveOneSourceOut.Fold::source).toList());
    assertEquals(60, r.folds().get(0).count());
    assertEquals(60, r.folds().get(1).count());
    // walls' graffiti cannot be judged: no other source has graffiti; its 30 normal images can.
    assertEquals(30, r.folds().get(2).count());
    assertEquals(List.of("graffiti"), r.folds().get(2).untestable());
    assertEquals(150, r.samples().size());
    for (LeaveOneSourceOut.Fold f : r.folds()) {
      for (int i = f.first(); i < f.first() + f.count(); i++) {
        assertEquals(
            f.source(),
            r.samples().get(i).source(),
            "pooled rows of a fold come from its held-out source");
      }
    }
    double accuracy = r.raw(LABELS).metrics().accuracy();
    assertTrue(
        accuracy >= 0.8, "the class signal carries over to unseen sources: accuracy " + accuracy);
    assertTrue(r.temperature().value() > 0);
  }

  @Test
  void reportsEverySourceThePooledScoresAndCalibrationBeforeAndAfter() {
    Data d = data();
    LeaveOneSourceOut.Result r =
        LeaveOneSourceOut.run(
            d.bank(),
            d.samples(),
            s -> s.id().endsWith("9"),
            LABELS,
            RECIPE,
            TrainingProgress.NONE);

    ObjectNode report =
        LeaveOneSourceOut.report(r, LABELS, s -> s.source().equals("cctv"), "test-backbone");

    assertEquals(3, report.get("perSource").size());
    assertEquals(
        "only this source has [graffiti]",
        report.get("perSource").get("walls").get("notJudged").asText());
    assertTrue(report.get("perSource").get("cctv").get("extra").asBoolean());
    assertEquals(60, report.get("pooledExtraSources").get("images").asInt());
    assertEquals(150, report.get("pooled").get("images").asInt());
    assertTrue(
        report.get("calibration").has("eceBefore") && report.get("calibration").has("eceAfter"));
    assertEquals(20, report.get("riskCoverage").size());
  }
}
