package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.datasets.folder.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synthetic street floods: which images are flooded, and how a run and its folds use them. */
class SyntheticFloodsTest {
  @TempDir Path dir;

  /** flooding, normal and graffiti from the sources street, cctv and walls, 8 images each. */
  private Path dataset() throws Exception {
    Path data = dir.resolve("data");
    int seed = 0;
    for (String label : List.of("flooding", "normal", "graffiti")) {
      for (String source : List.of("street", "cctv", "walls")) {
        Files.createDirectories(data.resolve(label));
        for (int i = 0; i < 8; i++) {
          Files.write(
              data.resolve(label).resolve(source + "__" + i + ".jpg"),
              TestImages.jpeg(96, 72, label.hashCode() % 1000 + seed++));
        }
      }
    }
    return data;
  }

  private List<Sample> samples(Path data) throws Exception {
    List<Sample> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(data)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String label = f.getParent().getFileName().toString();
        String name = f.getFileName().toString();
        out.add(
            new Sample(
                label + "/" + name, f, label, name.substring(0, name.indexOf("__")), label + name));
      }
    }
    return out;
  }

  @Test
  void floodsOnlyNormalScenesOfTheChosenSourcesTheSameWayEveryTime() throws Exception {
    OpenCvRuntime.load();
    List<Sample> train = samples(dataset());
    Path a = Files.createDirectories(dir.resolve("a"));
    Path b = Files.createDirectories(dir.resolve("b"));

    List<Sample> floods = SyntheticFloods.make(train, FloodSpec.parse("street,cctv:1"), 7, a);
    List<Sample> again = SyntheticFloods.make(train, FloodSpec.parse("street,cctv:1"), 7, b);

    assertEquals(16, floods.size());
    Set<String> bases = new TreeSet<>();
    for (int i = 0; i < floods.size(); i++) {
      Sample f = floods.get(i);
      assertEquals("flooding", f.label());
      assertEquals(SyntheticFloods.SOURCE, f.source());
      assertTrue(Files.size(f.file()) > 0);
      bases.add(SyntheticFloods.baseSource(f));
      assertEquals(f.id(), again.get(i).id());
      assertArrayEquals(f.read(), again.get(i).read(), "same seed, same flood");
    }
    assertEquals(Set.of("street", "cctv"), bases);
    assertTrue(floods.stream().allMatch(f -> f.id().contains("normal/")));

    List<Sample> half = SyntheticFloods.make(train, FloodSpec.parse("all:0.5"), 7, b);
    assertTrue(half.size() > 3 && half.size() < 21, "about half of 24: " + half.size());
    assertTrue(SyntheticFloods.make(train, FloodSpec.OFF, 7, b).isEmpty());
  }

  @Test
  void aFloodComesFromTheSourceOfItsScene() throws Exception {
    OpenCvRuntime.load();
    List<Sample> train = samples(dataset());
    Sample flood =
        SyntheticFloods.make(
                train, FloodSpec.parse("cctv:1"), 1, Files.createDirectories(dir.resolve("f")))
            .get(0);
    Sample real = train.get(0);

    assertTrue(SyntheticFloods.comesFrom(flood, "cctv"));
    assertTrue(SyntheticFloods.comesFrom(flood, SyntheticFloods.SOURCE));
    assertFalse(SyntheticFloods.comesFrom(flood, "street"));
    assertTrue(SyntheticFloods.comesFrom(real, real.source()));
    assertNull(SyntheticFloods.baseSource(real));
  }

  @Test
  void specsParseAndRefuseNonsense() {
    FloodSpec spec = FloodSpec.parse("uk_trafficcams,wdp_mvd:0.5");
    assertTrue(spec.covers("wdp_mvd"));
    assertFalse(spec.covers("graffiti"));
    assertTrue(FloodSpec.parse("all:1").covers("anything"));
    assertThrows(IllegalArgumentException.class, () -> FloodSpec.parse("all"));
    assertThrows(IllegalArgumentException.class, () -> FloodSpec.parse("all:x"));
    assertThrows(IllegalArgumentException.class, () -> FloodSpec.parse("all:1.5"));
    assertThrows(IllegalArgumentException.class, () -> FloodSpec.parse(":0.5"));
  }

  @Test
  void aRunTrainsOnFloodsButNeverValidatesTestsOrHoldsThemOutAsASite() throws Exception {
    Path out = dir.resolve("pkg");
    TrainingConfig config =
        TrainingConfig.defaults("city", dataset(), TestModels.backbone(), out).toBuilder()
            .input(64, 64)
            .views(1)
            .headEpochs(5)
            .fineTuneEpochs(0)
            .sourceBalance(0.5)
            .holdout(true)
            .floods(FloodSpec.parse("all:1"))
            .commandLine("test")
            .build();
    Set<Path> before = floodDirs();

    ClassifierTraining.run(config, TrainingProgress.NONE);

    ModelPackage pkg = ModelPackage.read(out);
    JsonNode training = pkg.spec().training();
    assertEquals("all:1.0", training.path("syntheticFloods").asText());
    JsonNode held = training.path("heldOutSources");
    assertEquals(Set.of("street", "cctv", "walls"), names(held.path("perSource")));
    // 24 normal scenes, about 70% of them in the training split, each flooded once: the training
    // split grows by them; the replay set keeps the 72 real photos only.
    ReplaySet replay = ReplaySet.of(pkg).orElseThrow();
    assertEquals(72, replay.size());
    assertFalse(replay.sources().contains(SyntheticFloods.SOURCE));
    assertEquals(
        training.path("split").path("train").asInt(),
        replay.filter(i -> replay.split(i) == ReplaySet.Split.TRAIN).size(),
        "the split's training count is of real photos");
    int floods = training.path("split").path("syntheticFloods").asInt();
    assertTrue(floods >= 12 && floods <= 20, "floods in the training split: " + floods);
    assertEquals(before, floodDirs(), "the working folder is deleted");
  }

  private static Set<Path> floodDirs() throws Exception {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return new TreeSet<>(
          s.filter(p -> p.getFileName().toString().startsWith("cityvision-floods")).toList());
    }
  }

  private static Set<String> names(JsonNode node) {
    Set<String> out = new TreeSet<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
