package org.cityvision.serving.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.FlagPolicy;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.model.BackboneSpec;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.Thresholds;
import org.junit.jupiter.api.Test;

class FlagPolicyTest {
  private static final List<String> LABELS =
      List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal");
  private static final ModelSpec SPEC =
      new ModelSpec(
          "urban",
          "1",
          "urban",
          LABELS,
          InputSpec.mobileNet(160),
          new BackboneSpec("b", 1280, 1),
          "model",
          new Thresholds(
              0,
              Map.of(
                  "pothole_road_damage",
                  0.5,
                  "graffiti",
                  0.4,
                  "garbage_dumping",
                  0.5,
                  "flooding",
                  0.6)),
          null,
          null);

  private static Classification scores(double... p) {
    return new Classification(
        "normal",
        0.5,
        List.of(new LabelScore("normal", 0.5)),
        Arrays.stream(p).boxed().toList(),
        LABELS,
        "urban",
        "1",
        1,
        null);
  }

  @Test
  void issueClassAtItsThresholdFlagsEvenWhenNotTop() {
    var flag = new FlagPolicy(SPEC.thresholds()).decide(scores(0.0, 0.45, 0.0, 0.0, 0.55));
    assertEquals("graffiti", flag.orElseThrow().label());
  }

  @Test
  void normalNeverFlags() {
    assertTrue(
        new FlagPolicy(SPEC.thresholds()).decide(scores(0.05, 0.05, 0.05, 0.05, 0.8)).isEmpty());
  }

  @Test
  void issueBelowItsThresholdDoesNotFlag() {
    assertTrue(new FlagPolicy(SPEC.thresholds()).decide(scores(0.1, 0.3, 0.1, 0.5, 0.0)).isEmpty());
  }

  @Test
  void mostProbablePassingIssueIsChosen() {
    assertEquals(
        "flooding",
        new FlagPolicy(SPEC.thresholds())
            .decide(scores(0.0, 0.0, 0.0, 0.7, 0.3))
            .orElseThrow()
            .label());
  }
}
