package org.cityvision.models.training;

import static org.cityvision.models.training.SyntheticScenes.Kind.FLOOD;
import static org.cityvision.models.training.SyntheticScenes.Kind.POTHOLE;
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

/** Synthetic street scenes: which images are used, and how a run and its folds use them. */
class SyntheticScenesTest {
  @TempDir Path dir;

  /** flooding, normal, graffiti and potholes from the sources street, cctv and walls, 8 each. */
  private Path dataset() throws Exception {
    Path data = dir.resolve("data");
    int seed = 0;
    for (String label : List.of("flooding", "normal", "graffiti", "pothole_road_damage")) {
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

    List<Sample> floods =
        SyntheticScenes.make(train, SceneSpec.parse("street,cctv:1"), FLOOD, 7, a);
    List<Sample> again = SyntheticScenes.make(train, SceneSpec.parse("street,cctv:1"), FLOOD, 7, b);

    assertEquals(16, floods.size());
    Set<String> bases = new TreeSet<>();
    for (int i = 0; i < floods.size(); i++) {
      Sample f = floods.get(i);
      assertEquals("flooding", f.label());
      assertEquals(FLOOD.source, f.source());
      assertTrue(Files.size(f.file()) > 0);
      bases.add(SyntheticScenes.baseSource(f));
      assertEquals(f.id(), again.get(i).id());
      assertArrayEquals(f.read(), again.get(i).read(), "same seed, same flood");
    }
    assertEquals(Set.of("street", "cctv"), bases);
    assertTrue(floods.stream().allMatch(f -> f.id().contains("normal/")));

    List<Sample> half = SyntheticScenes.make(train, SceneSpec.parse("all:0.5"), FLOOD, 7, b);
    assertTrue(half.size() > 3 && half.size() < 21, "about half of 24: " + half.size());
    assertTrue(SyntheticScenes.make(train, SceneSpec.OFF, FLOOD, 7, b).isEmpty());
  }

  @Test
  void potholesAreMadeFromTheSameScenesUnderTheirOwnClassAndSource() throws Exception {
    OpenCvRuntime.load();
    List<Sample> train = samples(dataset());
    Path d = Files.createDirectories(dir.resolve("p"));

    List<Sample> potholes = SyntheticScenes.make(train, SceneSpec.parse("all:1"), POTHOLE, 7, d);
    List<Sample> floods = SyntheticScenes.make(train, SceneSpec.parse("all:1"), FLOOD, 7, d);

    assertEquals(24, potholes.size());
    Set<String> ids = new TreeSet<>();
    for (Sample p : potholes) {
      assertEquals("pothole_road_damage", p.label());
      assertEquals(POTHOLE.source, p.source());
      assertTrue(SyntheticScenes.isSynthetic(p));
      assertTrue(SyntheticScenes.comesFrom(p, SyntheticScenes.baseSource(p)));
      ids.add(p.id());
    }
    floods.forEach(f -> ids.add(f.id()));
    assertEquals(48, ids.size(), "a scene's flood and its potholes are two images");
    assertEquals(48, Files.list(d).count());
  }

  @Test
  void aFloodComesFromTheSourceOfItsScene() throws Exception {
    OpenCvRuntime.load();
    List<Sample> train = samples(dataset());
    Sample flood =
        SyntheticScenes.make(
                train,
                SceneSpec.parse("cctv:1"),
                FLOOD,
                1,
                Files.createDirectories(dir.resolve("f")))
            .get(0);
    Sample real = train.get(0);

    assertTrue(SyntheticScenes.comesFrom(flood, "cctv"));
    assertTrue(SyntheticScenes.comesFrom(flood, FLOOD.source));
    assertFalse(SyntheticScenes.comesFrom(flood, "street"));
    assertTrue(SyntheticScenes.comesFrom(real, real.source()));
    assertNull(SyntheticScenes.baseSource(real));
  }

  @Test
  void specsParseAndRefuseNonsense() {
    SceneSpec spec = SceneSpec.parse("wdp_mvd,uk_trafficcams:0.5");
    assertEquals("uk_trafficcams,wdp_mvd:0.5", spec.toString(), "sorted, the same in every run");
    assertTrue(spec.covers("wdp_mvd"));
    assertFalse(spec.covers("graffiti"));
    assertTrue(SceneSpec.parse("all:1").covers("anything"));
    assertThrows(IllegalArgumentException.class, () -> SceneSpec.parse("all"));
    assertThrows(IllegalArgumentException.class, () -> SceneSpec.parse("all:x"));
    assertThrows(IllegalArgumentException.class, () -> SceneSpec.parse("all:1.5"));
    assertThrows(IllegalArgumentException.class, () -> SceneSpec.parse(":0.5"));
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
            .floods(SceneSpec.parse("all:1"))
            .potholes(SceneSpec.parse("street:1"))
            .commandLine("test")
            .build();
    Set<Path> before = floodDirs();

    ClassifierTraining.run(config, TrainingProgress.NONE);

    ModelPackage pkg = ModelPackage.read(out);
    JsonNode training = pkg.spec().training();
    assertEquals("all:1.0", training.path("syntheticFloods").asText());
    JsonNode held = training.path("heldOutSources");
    assertEquals(Set.of("street", "cctv", "walls"), names(held.path("perSource")));
    // 24 normal scenes, about 70% of them in the training split, each flooded once and those of
    // street also given potholes: the training split grows by them; the replay set keeps the 96
    // real photos only.
    ReplaySet replay = ReplaySet.of(pkg).orElseThrow();
    assertEquals(96, replay.size());
    assertFalse(replay.sources().contains(FLOOD.source));
    assertFalse(replay.sources().contains(POTHOLE.source));
    assertEquals(
        training.path("split").path("train").asInt(),
        replay.filter(i -> replay.split(i) == ReplaySet.Split.TRAIN).size(),
        "the split's training count is of real photos");
    int floods = training.path("split").path("syntheticFloods").asInt();
    assertTrue(floods >= 12 && floods <= 20, "floods in the training split: " + floods);
    int potholes = training.path("split").path("syntheticPotholes").asInt();
    assertTrue(potholes >= 4 && potholes <= 7, "potholes from street's scenes: " + potholes);
    assertEquals("street:1.0", training.path("syntheticPotholes").asText());
    assertEquals(before, floodDirs(), "the working folder is deleted");
  }

  private static Set<Path> floodDirs() throws Exception {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return new TreeSet<>(
          s.filter(p -> p.getFileName().toString().startsWith("cityvision-scenes")).toList());
    }
  }

  private static Set<String> names(JsonNode node) {
    Set<String> out = new TreeSet<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
