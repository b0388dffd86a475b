package org.cityvision.datasets.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cityvision.core.testing.SharedData;
import org.cityvision.core.testing.TestImages;
import org.cityvision.datasets.DatasetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
  @TempDir Path dir;

  private void image(Path file, long seed) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, TestImages.jpeg(64, 48, seed));
  }

  @Test
  void readsOneClassPerFolderAndSkipsUnderscoreFoldersAndNonImages() throws Exception {
    image(dir.resolve("cat/a.jpg"), 1);
    image(dir.resolve("cat/b.jpg"), 2);
    image(dir.resolve("dog/c.jpg"), 3);
    image(dir.resolve("_rejected/d.jpg"), 4);
    Files.writeString(dir.resolve("dog/notes.txt"), "not an image");

    ImageFolder data = ImageFolder.read(dir);

    assertEquals(List.of("cat", "dog"), data.labels());
    assertEquals(
        List.of("cat/a.jpg", "cat/b.jpg", "dog/c.jpg"),
        data.samples().stream().map(Sample::id).toList());
    assertTrue(data.samples().stream().allMatch(s -> s.source().equals(Sample.UNKNOWN_SOURCE)));
  }

  @Test
  void takesSourceAndGroupFromTheFoldersManifest() throws Exception {
    image(dir.resolve("cat/a.jpg"), 1);
    image(dir.resolve("dog/c.jpg"), 3);
    Files.writeString(
        dir.resolve("manifest.csv"),
        "file,class,source,group,note\na.jpg,cat,camera-7,\"g1\",\"says \"\"hi\"\", twice\"\nc.jpg,dog,web,,\n");

    ImageFolder data = ImageFolder.read(dir);

    assertEquals("camera-7", data.samples().get(0).source());
    assertEquals("g1", data.samples().get(0).group());
    assertEquals("web", data.samples().get(1).source());
  }

  @Test
  void takesTheSourceFromTheFileNamePrefixWhenTheManifestNamesNone() throws Exception {
    image(dir.resolve("metal/sorty__frame_12.jpg"), 1);
    image(dir.resolve("metal/cantcha__can.jpg"), 2);
    image(dir.resolve("glass/plain.jpg"), 3);
    image(dir.resolve("glass/web__b.jpg"), 4);
    Files.writeString(
        dir.resolve("manifest.csv"),
        "file,class,source_repo\nmetal/sorty__frame_12.jpg,metal,someone/sorty\nglass/web__b.jpg,glass,x/y\n");

    ImageFolder data = ImageFolder.read(dir);

    assertEquals(
        List.of("unknown", "web", "cantcha", "sorty"),
        data.samples().stream().map(Sample::source).toList());
  }

  @Test
  void usesTheParentManifestRowsOfItsOwnTask() throws Exception {
    image(dir.resolve("waste/cat/a.jpg"), 1);
    image(dir.resolve("waste/dog/a.jpg"), 2);
    Files.writeString(
        dir.resolve("manifest.csv"),
        "task,class,file,source,license\nwaste,cat,a.jpg,trashnet,MIT\nurban,cat,a.jpg,other,none\nwaste,dog,a.jpg,lab,MIT\n");

    ImageFolder data = ImageFolder.read(dir.resolve("waste"));

    assertEquals(List.of("trashnet", "lab"), data.samples().stream().map(Sample::source).toList());
  }

  @Test
  void mergesExtraFoldersWithPrefixedIdsAndTheUnionOfLabels() throws Exception {
    image(dir.resolve("main/cat/a.jpg"), 1);
    image(dir.resolve("main/dog/a.jpg"), 2);
    image(dir.resolve("reviewed/cat/a.jpg"), 3);
    image(dir.resolve("reviewed/fox/z.jpg"), 4);

    ImageFolder data = ImageFolder.read(dir.resolve("main"), List.of(dir.resolve("reviewed")));

    assertEquals(List.of("cat", "dog", "fox"), data.labels());
    assertEquals(4, data.samples().size());
    assertTrue(data.samples().stream().anyMatch(s -> s.id().equals("reviewed:cat/a.jpg")));
  }

  @Test
  void refusesAFolderWithFewerThanTwoClasses() throws Exception {
    image(dir.resolve("cat/a.jpg"), 1);

    DatasetException e = assertThrows(DatasetException.class, () -> ImageFolder.read(dir));

    assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
  }

  @Test
  void readsTheSharedWasteDatasetWithItsSources() throws Exception {
    ImageFolder data = ImageFolder.read(SharedData.dataset("waste"));

    assertEquals(
        List.of("cardboard", "glass", "metal", "paper", "plastic", "trash"), data.labels());
    assertEquals(2148, data.samples().size());
    assertEquals(116, data.classCounts().get("trash"));
    assertEquals(2148, data.sourceCounts().get("trashnet"));
  }
}
