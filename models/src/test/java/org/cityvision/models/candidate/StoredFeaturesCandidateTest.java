package org.cityvision.models.candidate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.PooledFeatures;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Head candidates from the pooled features kept when verdict frames were classified: the real
 * classifier computes them in its forward pass, and a candidate built from them equals the one
 * built from the images within float16 rounding; features of another backbone are never used.
 */
class StoredFeaturesCandidateTest {
  @TempDir static Path shared;
  static ModelPackage live;
  static List<VerdictExample> verdicts;
  static CandidateResult fromImages;

  @TempDir Path dir;

  @BeforeAll
  static void liveAndVerdicts() throws Exception {
    live = TinyModels.live(shared);
    verdicts = new ArrayList<>();
    for (String label : TinyModels.LABELS) {
      verdicts.addAll(
          TinyModels.verdicts("kept-" + label, label, 12, 70 + TinyModels.LABELS.indexOf(label)));
    }
    fromImages =
        CandidateTraining.run(
            new CandidateRequest(
                live, verdicts, CandidateMode.HEAD, "1.1.0", shared.resolve("from-images")),
            CandidateProgress.NONE,
            () -> false);
  }

  /** Where the features came from, as the candidate told its progress. */
  private static final class Sources implements CandidateProgress {
    int stored = -1;
    int computed = -1;
    final List<String> stages = new ArrayList<>();

    @Override
    public void stage(String name, int steps) {
      stages.add(name);
    }

    @Override
    public void advance(int done) {}

    @Override
    public void featureSources(int stored, int computed) {
      this.stored = stored;
      this.computed = computed;
    }
  }

  /** The verdicts, each with the features {@code pkg}'s classifier kept when it classified it. */
  private static List<VerdictExample> classifiedBy(ModelPackage pkg) throws Exception {
    List<VerdictExample> out = new ArrayList<>();
    try (Classifier classifier =
        Classifier.open(pkg, ClassifierOptions.defaults().withWarmup(false))) {
      for (VerdictExample v : verdicts) {
        Classification c = classifier.classify(v.image().read());
        PooledFeatures kept = c.pooledFeatures().orElseThrow();
        out.add(new VerdictExample(v.frameId(), v.label(), v.image(), () -> Optional.of(kept)));
      }
    }
    return out;
  }

  private CandidateResult candidate(List<VerdictExample> given, CandidateMode mode, Sources s)
      throws Exception {
    return CandidateTraining.run(
        new CandidateRequest(live, given, mode, "1.1.0", dir.resolve("candidate")), s, () -> false);
  }

  /** The largest difference between the two packages' probabilities over fresh pictures. */
  private static double largestDifference(ModelPackage a, ModelPackage b) throws Exception {
    double worst = 0;
    ClassifierOptions options = ClassifierOptions.defaults().withWarmup(false);
    try (Classifier ca = Classifier.open(a, options);
        Classifier cb = Classifier.open(b, options)) {
      for (String label : TinyModels.LABELS) {
        for (int i = 0; i < 4; i++) {
          byte[] image = TinyModels.image(label, 8_000 + 10L * i + label.length());
          List<Double> pa = ca.classify(image).probabilities();
          List<Double> pb = cb.classify(image).probabilities();
          for (int k = 0; k < pa.size(); k++) {
            worst = Math.max(worst, Math.abs(pa.get(k) - pb.get(k)));
          }
        }
      }
    }
    return worst;
  }

  @Test
  void aHeadCandidateFromStoredFeaturesEqualsOneBuiltFromTheImages() throws Exception {
    Sources sources = new Sources();

    CandidateResult fromStore = candidate(classifiedBy(live), CandidateMode.HEAD, sources);

    assertEquals(verdicts.size(), sources.stored, "every verdict's features read from the store");
    assertEquals(0, sources.computed);
    assertEquals(
        verdicts.size(), fromStore.training().path("verdicts").path("fromStoredFeatures").asInt());
    assertEquals(0, fromImages.training().path("verdicts").path("fromStoredFeatures").asInt());
    assertEquals(
        fromImages.training().path("verdictWeight").path("share").asDouble(),
        fromStore.training().path("verdictWeight").path("share").asDouble());
    assertEquals(
        fromImages.evaluation().holdout().candidate().accuracy(),
        fromStore.evaluation().holdout().candidate().accuracy(),
        1e-9);
    double worst = largestDifference(fromImages.candidate(), fromStore.candidate());
    assertTrue(worst < 0.01, "probabilities differ by " + worst + " (float16 features)");
  }

  @Test
  void featuresOfAnotherBackboneAreComputedFromTheImageInstead() throws Exception {
    ModelPackage other = withNudgedBackbone(dir.resolve("other-backbone"));
    List<VerdictExample> kept = classifiedBy(other);
    String otherDigest = kept.get(0).features().read().orElseThrow().backbone();
    try (Classifier c = Classifier.open(live, ClassifierOptions.defaults().withWarmup(false))) {
      assertNotEquals(c.backboneDigest().orElseThrow(), otherDigest);
    }
    Sources sources = new Sources();

    CandidateResult result = candidate(kept, CandidateMode.HEAD, sources);

    assertEquals(0, sources.stored);
    assertEquals(verdicts.size(), sources.computed);
    double worst = largestDifference(fromImages.candidate(), result.candidate());
    assertTrue(worst < 1e-5, "the same features as from the images, yet a difference of " + worst);
  }

  @Test
  void fineTuneModeComputesEveryVerdictFromItsImage() throws Exception {
    Sources sources = new Sources();

    candidate(classifiedBy(live), CandidateMode.FINE_TUNE, sources);

    assertEquals(0, sources.stored);
    assertTrue(!sources.stages.contains("stored features"), sources.stages.toString());
  }

  @Test
  void aHeadCandidateKeepsItsParentsBackboneDigest() throws Exception {
    ClassifierOptions options = ClassifierOptions.defaults().withWarmup(false);
    try (Classifier parent = Classifier.open(live, options);
        Classifier child = Classifier.open(fromImages.candidate(), options)) {
      assertEquals(parent.backboneDigest(), child.backboneDigest());
      assertTrue(parent.backboneDigest().orElseThrow().startsWith("sha256:"));
    }
  }

  /**
   * A package of the live network whose backbone has one weight tensor scaled by 1.01: another
   * backbone, whose features are close to the live one's but not the same.
   */
  private static ModelPackage withNudgedBackbone(Path to) throws Exception {
    try (Model model =
        ModelPackage.fromPretrained(TestModels.backbone(), "tiny", TinyModels.LABELS.size())) {
      Block backbone = ((SequentialBlock) model.getBlock()).getChildren().get(0).getValue();
      JniUtils.setGradMode(false);
      NDArray weight = backbone.getParameters().valueAt(0).getArray();
      float[] values = weight.toFloatArray();
      for (int i = 0; i < values.length; i++) {
        values[i] *= 1.01f;
      }
      weight.set(FloatBuffer.wrap(values));
      model.setProperty("Epoch", "0");
      return ModelPackage.save(to, live.spec(), model);
    }
  }
}
