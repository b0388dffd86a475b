package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SourceShareTest {
  @Test
  void theTwoOptionsThatApplyToASharePartTheirSourcesAndNumberAlike() {
    SceneSpec floods = SceneSpec.parse("wdp_mvd,amsterdam:0.25");
    assertEquals(Set.of("amsterdam", "wdp_mvd"), floods.sources());
    assertEquals(0.25, floods.fraction());
    CompositeSpec composite = CompositeSpec.parse("trashnet,boarkee:0.5", null);
    assertEquals(Set.of("boarkee", "trashnet"), composite.sources());
    assertEquals(0.5, composite.probability());
  }

  @Test
  void badTextIsRefusedInTheWordsOfItsOption() {
    for (List<String> bad :
        List.of(
            List.of("all", "--synthesize-floods and --synthesize-potholes take"),
            List.of("all:half", "the share of street scenes must be a number, got 'all:half'"))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SceneSpec.parse(bad.get(0)));
      assertTrue(e.getMessage().startsWith(bad.get(1)), e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CompositeSpec.parse(":0.5", null));
    assertEquals("--composite must be SOURCE[,SOURCE...]:PROBABILITY, got ':0.5'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CompositeSpec.parse("a:x", null));
    assertEquals("--composite probability must be a number, got 'a:x'", e.getMessage());
  }
}
