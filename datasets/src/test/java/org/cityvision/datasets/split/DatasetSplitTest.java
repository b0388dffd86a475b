package org.cityvision.datasets.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.cityvision.core.testing.SharedData;
import org.cityvision.core.testing.TestImages;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetSplitTest {
  @TempDir Path dir;

  /** 3 classes × 40 distinct images, plus one picture filed twice under two classes. */
  private ImageFolder dataset() throws Exception {
    for (String label : List.of("a", "b", "c")) {
      Files.createDirectories(dir.resolve(label));
      for (int i = 0; i < 40; i++) {
        Files.write(
            dir.resolve(label + "/" + i + ".jpg"),
            TestImages.jpeg(32, 32, label.hashCode() * 100L + i));
      }
    }
    byte[] twice = TestImages.jpeg(32, 32, 999);
    Files.write(dir.resolve("a/dup.jpg"), twice);
    Files.write(dir.resolve("b/dup.jpg"), twice);
    return ImageFolder.read(dir);
  }

  private static List<String> ids(List<Sample> samples) {
    return samples.stream().map(Sample::id).toList();
  }

  @Test
  void theSameSpecGivesTheSameSplitAndAnotherSeedAnother() throws Exception {
    ImageFolder data = dataset();

    DatasetSplit one = DatasetSplit.of(data, SplitSpec.DEFAULT);
    DatasetSplit two = DatasetSplit.of(ImageFolder.read(dir), SplitSpec.DEFAULT);
    DatasetSplit other = DatasetSplit.of(data, new SplitSpec(0.15, 0.15, 43));

    assertEquals(ids(one.test()), ids(two.test()));
    assertEquals(ids(one.val()), ids(two.val()));
    assertNotEquals(ids(one.test()), ids(other.test()));
  }

  @Test
  void eachClassIsSplitInTheRequestedProportionsWithNothingLostOrShared() throws Exception {
    DatasetSplit split = DatasetSplit.of(dataset(), new SplitSpec(0.2, 0.25, 1));

    Map<String, Long> test =
        split.test().stream().collect(Collectors.groupingBy(Sample::label, Collectors.counting()));
    Map<String, Long> val =
        split.val().stream().collect(Collectors.groupingBy(Sample::label, Collectors.counting()));
    assertEquals(10, test.get("c"));
    assertEquals(8, val.get("c"));
    Set<String> all = new HashSet<>(ids(split.train()));
    all.addAll(ids(split.val()));
    all.addAll(ids(split.test()));
    assertEquals(122, all.size());
    assertEquals(122, split.train().size() + split.val().size() + split.test().size());
  }

  @Test
  void identicalFilesUnderTwoClassesLandInTheSameSplit() throws Exception {
    DatasetSplit split = DatasetSplit.of(dataset(), SplitSpec.DEFAULT);

    assertEquals(1, split.groups());
    for (List<Sample> part : List.of(split.train(), split.val(), split.test())) {
      List<String> ids = ids(part);
      assertEquals(ids.contains("a/dup.jpg"), ids.contains("b/dup.jpg"));
    }
  }

  @Test
  void roboflowCopiesOfOneOriginalShareAGroupKey() {
    assertEquals(
        "IMG_1683_jpeg",
        DuplicateGroups.roboflowOriginal(
            "graffiti__masterpiece__test_IMG_1683_jpeg.rf.80be2fce8fc37e7562cccc2cb8007815.jpg"));
    assertEquals(
        "IMG_1683_jpeg",
        DuplicateGroups.roboflowOriginal(
            "graffiti__no_graffiti__train_IMG_1683_jpeg.rf.00000000000000000000000000000000.jpg"));
    assertEquals(null, DuplicateGroups.roboflowOriginal("trash12.jpg"));
  }

  @Test
  void theSharedUrbanSplitKeepsEverySourceOfEveryClassInTest() throws Exception {
    ImageFolder data = ImageFolder.read(SharedData.dataset("urban"));

    DatasetSplit split = DatasetSplit.of(data, SplitSpec.DEFAULT);

    Set<String> strata =
        data.samples().stream().map(s -> s.label() + "|" + s.source()).collect(Collectors.toSet());
    Set<String> inTest =
        split.test().stream().map(s -> s.label() + "|" + s.source()).collect(Collectors.toSet());
    assertEquals(strata, inTest);
    double share = (double) split.test().size() / data.samples().size();
    assertTrue(share > 0.14 && share < 0.16, "test share " + share);
  }

  @Test
  void theSharedWasteDuplicatesStayTogether() throws Exception {
    DatasetSplit split =
        DatasetSplit.of(ImageFolder.read(SharedData.dataset("waste")), SplitSpec.DEFAULT);

    assertEquals(3, split.groups());
    for (List<Sample> part : List.of(split.train(), split.val(), split.test())) {
      List<String> ids = ids(part);
      assertEquals(ids.contains("glass/glass115.jpg"), ids.contains("metal/metal91.jpg"));
      assertEquals(ids.contains("glass/glass176.jpg"), ids.contains("plastic/plastic152.jpg"));
    }
  }
}
