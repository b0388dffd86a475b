package org.cityvision.models.candidate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.classify.GoldenReferences;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.model.Thresholds;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CandidateTrainingTest {
  @TempDir static Path shared;
  static ModelPackage live;

  @TempDir Path dir;

  @BeforeAll
  static void livePackage() throws Exception {
    live = TinyModels.live(shared);
  }

  private static List<VerdictExample> knownColours(String prefix, int each) {
    List<VerdictExample> v = new ArrayList<>();
    for (String label : TinyModels.LABELS) {
      v.addAll(
          TinyModels.verdicts(
              prefix + "-" + label, label, each, 40 + TinyModels.LABELS.indexOf(label)));
    }
    return v;
  }

  /** {@code each} verdicts of every live colour and {@code white} verdicts of the new label. */
  private static List<VerdictExample> withWhite(String prefix, int each, int white) {
    List<VerdictExample> v = knownColours(prefix, each);
    v.addAll(TinyModels.verdicts(prefix + "-white", "white", white, 77));
    return v;
  }

  private CandidateResult train(List<VerdictExample> verdicts, CandidateMode mode, String folder)
      throws Exception {
    return CandidateTraining.run(
        new CandidateRequest(live, verdicts, mode, "1.1.0", dir.resolve(folder)),
        CandidateProgress.NONE,
        () -> false);
  }

  @Test
  void aNewLabelWithEnoughVerdictsIsLearnedAndReportedSeparately() throws Exception {
    CandidateResult result = train(withWhite("site", 10, 60), CandidateMode.HEAD, "candidate");

    CandidateEvaluation e = result.evaluation();
    assertEquals(List.of("blue", "green", "red", "white"), result.candidate().spec().labels());
    assertEquals(1, e.newClasses().size());
    CandidateEvaluation.NewClass white = e.newClasses().get(0);
    assertEquals("white", white.label());
    assertTrue(white.holdout().support() >= 1);
    assertTrue(
        white.holdout().recall() >= 0.75,
        "white recall on the holdout "
            + white.holdout()
            + "; "
            + result.training().get("verdictWeight")
            + " "
            + e.toJson().get("holdout"));
    assertEquals(
        0.0, e.holdout().live().perClass().get(3).recall(), "the live model cannot answer white");
    assertTrue(e.better(), e.reason());
    assertTrue(e.validation().exact());
    assertTrue(
        e.validation().candidate().accuracy() >= e.validation().live().accuracy() - 0.01,
        e.reason());

    // The package serves what was evaluated: it loads (golden references checked at warm-up) and
    // answers white.
    ModelPackage pkg = ModelPackage.read(result.candidate().dir());
    assertEquals("1.1.0", pkg.spec().version());
    assertTrue(GoldenReferences.read(pkg).isPresent());
    try (Classifier classifier = Classifier.open(pkg, ClassifierOptions.defaults())) {
      int right = 0;
      for (int i = 0; i < 5; i++) {
        Classification c = classifier.classify(TinyModels.image("white", 5_000 + i));
        right += c.label().equals("white") ? 1 : 0;
      }
      assertTrue(right >= 4, right + " of 5 new white pictures answered white");
    }
    ReplaySet replay = ReplaySet.of(pkg).orElseThrow();
    int verdictRows = 0;
    for (int i = 0; i < replay.size(); i++) {
      verdictRows += replay.source(i).equals(CandidateTraining.VERDICT_SOURCE) ? 1 : 0;
    }
    assertEquals(result.training().get("verdicts").get("train").asInt(), verdictRows);
    assertEquals(ReplaySet.of(live).orElseThrow().size() + verdictRows, replay.size());
  }

  @Test
  void aNewIssueLabelGetsAFlagThresholdChosenOnItsHoldoutVerdicts() throws Exception {
    ModelPackage flagging =
        TinyModels.live(
            dir.resolve("flagging"),
            List.of("blue", "normal", "red"),
            new Thresholds(0, Map.of("blue", 0.6, "red", 0.6)));
    List<VerdictExample> verdicts = new ArrayList<>();
    for (String label : List.of("blue", "normal", "red")) {
      verdicts.addAll(TinyModels.verdicts("flag-" + label, label, 10, 60 + label.length()));
    }
    verdicts.addAll(TinyModels.verdicts("flag-white", "white", 30, 66));

    CandidateResult result =
        CandidateTraining.run(
            new CandidateRequest(
                flagging, verdicts, CandidateMode.HEAD, "1.1.0", dir.resolve("flag-candidate")),
            CandidateProgress.NONE,
            () -> false);

    Map<String, Double> flags = result.candidate().spec().thresholds().flag();
    assertEquals(Set.of("blue", "red", "white"), flags.keySet(), "normal never flags");
    CandidateEvaluation.NewClass white = result.evaluation().newClasses().get(0);
    assertEquals(flags.get("white"), white.flagThreshold());
    assertTrue(
        white.flagThreshold() >= 0.3 && white.flagThreshold() <= 0.99,
        "threshold " + white.flagThreshold());
    assertEquals(
        0.0,
        result.candidate().spec().thresholds().uncertainBelow(),
        "the task does not use uncertain");
    assertTrue(result.training().get("thresholds").get("flag").has("white"));
  }

  @Test
  void holdoutLabelsNeverReachTheHead() throws Exception {
    List<VerdictExample> honest = knownColours("frame", 12);
    List<VerdictExample> flipped = new ArrayList<>();
    int flips = 0;
    for (VerdictExample v : honest) {
      if (VerdictSplit.isHoldout(v.frameId())) {
        String wrong = TinyModels.LABELS.get((TinyModels.LABELS.indexOf(v.label()) + 1) % 3);
        flipped.add(new VerdictExample(v.frameId(), wrong, v.image()));
        flips++;
      } else {
        flipped.add(v);
      }
    }
    assertTrue(flips >= CandidateTraining.MIN_HOLDOUT, flips + " holdout verdicts");

    CandidateResult a = train(honest, CandidateMode.HEAD, "honest");
    CandidateResult b = train(flipped, CandidateMode.HEAD, "flipped");

    // Equal up to float noise: libtorch's two-thread reductions may differ in the last bits between
    // runs.
    assertArrayEquals(
        headWeights(a.candidate()),
        headWeights(b.candidate()),
        1e-4f,
        "wrong holdout labels changed the trained head");
    assertTrue(
        b.evaluation().holdout().candidate().accuracy()
            < a.evaluation().holdout().candidate().accuracy());
  }

  private static float[] headWeights(ModelPackage pkg) throws Exception {
    try (CandidateModel model = CandidateModel.open(pkg, pkg.spec().labels().size())) {
      return model.liveWeight();
    }
  }

  @Test
  void aCandidateThatDoesNotWinOnTheHoldoutIsNotBetter() throws Exception {
    // The live model already knows these colours: nothing to win.
    CandidateResult result = train(knownColours("same", 12), CandidateMode.HEAD, "same");

    assertEquals(1.0, result.evaluation().holdout().live().accuracy());
    assertFalse(result.evaluation().better());
    assertTrue(result.evaluation().reason().contains("does not win"), result.evaluation().reason());
  }

  @Test
  void tooFewVerdictsAreRefusedWithWhatIsMissingPerClass() {
    List<VerdictExample> verdicts = knownColours("few", 2);
    verdicts.addAll(TinyModels.verdicts("few-white", "white", 6, 78));
    Path out = dir.resolve("refused");

    NotEnoughVerdictsException e =
        assertThrows(
            NotEnoughVerdictsException.class,
            () ->
                CandidateTraining.run(
                    new CandidateRequest(live, verdicts, CandidateMode.HEAD, "1.1.0", out),
                    CandidateProgress.NONE,
                    () -> false));

    assertTrue(
        e.shortfalls().stream()
            .anyMatch(
                s ->
                    s.label().equals("*")
                        && s.have() == 12
                        && s.need() == CandidateTraining.MIN_VERDICTS),
        e.getMessage());
    assertTrue(
        e.shortfalls().stream()
            .anyMatch(
                s ->
                    s.label().equals("white")
                        && s.have() == 6
                        && s.missing() == CandidateTraining.MIN_NEW_LABEL - 6),
        e.getMessage());
    assertFalse(Files.exists(out), "no package is left behind");
  }

  @Test
  void aCancelledCandidateStopsAndLeavesNoPackage() {
    AtomicBoolean cancel = new AtomicBoolean();
    List<String> stages = new ArrayList<>();
    CandidateProgress progress =
        new CandidateProgress() {
          @Override
          public void stage(String name, int steps) {
            stages.add(name);
            cancel.set(name.equals("head"));
          }

          @Override
          public void advance(int done) {}
        };
    Path out = dir.resolve("cancelled");

    assertThrows(
        CandidateCancelledException.class,
        () ->
            CandidateTraining.run(
                new CandidateRequest(
                    live, knownColours("cancel", 10), CandidateMode.HEAD, "1.1.0", out),
                progress,
                cancel::get));

    assertEquals(List.of("stored features", "features", "choose verdict weight", "head"), stages);
    assertFalse(Files.exists(out));
  }

  @Test
  void fineTuneModeSaysItsValidationComparisonIsNotExact() throws Exception {
    CandidateResult result = train(withWhite("tune", 6, 24), CandidateMode.FINE_TUNE, "tuned");

    CandidateEvaluation e = result.evaluation();
    assertFalse(e.validation().exact());
    assertFalse(e.better(), "a tuned backbone is never judged better on stale validation features");
    assertTrue(e.holdout().exact(), "holdout features come from the tuned backbone itself");
    // The live model is scored as it serves: its own backbone, not the tuned copy.
    List<VerdictExample> held =
        withWhite("tune", 6, 24).stream().filter(v -> VerdictSplit.isHoldout(v.frameId())).toList();
    int liveRight = 0;
    try (Classifier classifier = Classifier.open(live, ClassifierOptions.defaults())) {
      for (VerdictExample v : held) {
        liveRight += classifier.classify(v.image().read()).label().equals(v.label()) ? 1 : 0;
      }
    }
    assertEquals(held.size(), e.holdout().live().count());
    assertEquals(liveRight, e.holdout().live().correct());
    assertTrue(
        e.holdout().candidate().accuracy() > e.holdout().live().accuracy(), e.toJson().toString());
    assertEquals("fine-tune", result.candidate().spec().training().get("mode").asText());
    assertFalse(Files.readAllBytes(result.candidate().weightsFile()).length == 0);
  }
}
