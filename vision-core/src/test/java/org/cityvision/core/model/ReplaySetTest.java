package org.cityvision.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplaySetTest {
  private static final List<String> LABELS = List.of("glass", "metal", "paper");

  @TempDir Path dir;

  private static ReplaySet sample(int rows, int features, long seed) {
    Random random = new Random(seed);
    ReplaySet.Builder builder = ReplaySet.builder(LABELS, features);
    for (int i = 0; i < rows; i++) {
      float[] f = new float[features];
      for (int k = 0; k < features; k++) {
        f[k] = (float) (random.nextGaussian() * 3);
      }
      builder.add(
          f,
          LABELS.get(i % 3),
          ReplaySet.Split.values()[i % 3],
          i < rows / 2 ? "trashnet" : "sorty");
    }
    return builder.build();
  }

  @Test
  void roundTripsRowsThroughTheFileWithinHalfPrecision() throws Exception {
    ReplaySet set = sample(300, 64, 1);
    Path file = dir.resolve(ReplaySet.FILE);
    set.write(file);
    ReplaySet back = ReplaySet.read(file);

    assertEquals(300, back.size());
    assertEquals(64, back.featureSize());
    assertEquals(LABELS, back.labels());
    assertEquals(List.of("trashnet", "sorty"), back.sources());
    for (int i = 0; i < back.size(); i++) {
      assertEquals(set.label(i), back.label(i));
      assertEquals(set.split(i), back.split(i));
      assertEquals(set.source(i), back.source(i));
      assertArrayEquals(set.features(i), back.features(i));
    }
    // 2 bytes per feature plus 5 per row and a small header.
    assertTrue(Files.size(file) < 300 * (64 * 2 + 5) + 200, "file size " + Files.size(file));
  }

  @Test
  void keepsFeaturesToHalfPrecisionRelativeError() {
    float[] values = {
      0f, 1f, -1f, 0.1f, 3.14159f, 1e-3f, 6.1e-5f, 1e-6f, 1000.5f, 65504f, -2.5e-7f
    };
    ReplaySet set =
        ReplaySet.builder(LABELS, values.length)
            .add(values, "glass", ReplaySet.Split.TRAIN, "s")
            .build();
    float[] back = set.features(0);
    for (int i = 0; i < values.length; i++) {
      double tolerance = Math.max(Math.abs(values[i]) / 1024.0, 6e-8);
      assertEquals(values[i], back[i], tolerance, "value " + values[i]);
    }
  }

  @Test
  void saturatesValuesBeyondTheHalfRangeInsteadOfTurningThemInfinite() {
    float[] values = {1e6f, -1e6f, Float.POSITIVE_INFINITY};
    ReplaySet.Builder builder = ReplaySet.builder(LABELS, 3);
    assertThrows(
        IllegalArgumentException.class,
        () -> builder.add(values, "glass", ReplaySet.Split.TRAIN, "s"));
    ReplaySet set =
        builder.add(new float[] {1e6f, -1e6f, 5f}, "glass", ReplaySet.Split.TRAIN, "s").build();
    assertArrayEquals(new float[] {65504f, -65504f, 5f}, set.features(0));
  }

  @Test
  void refusesACorruptedFile() throws IOException {
    Path file = dir.resolve(ReplaySet.FILE);
    sample(50, 16, 2).write(file);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(file, bytes);

    ModelException e = assertThrows(ModelException.class, () -> ReplaySet.read(file));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
  }

  @Test
  void refusesATruncatedFile() throws IOException {
    Path file = dir.resolve(ReplaySet.FILE);
    sample(50, 16, 3).write(file);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 9));

    ModelException e = assertThrows(ModelException.class, () -> ReplaySet.read(file));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void refusesAFileThatIsNotAReplaySet() throws IOException {
    Path file = dir.resolve(ReplaySet.FILE);
    Files.writeString(file, "{\"not\": \"a replay set\"}");
    ModelException e = assertThrows(ModelException.class, () -> ReplaySet.read(file));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void rejectsRowsWithAnUnknownLabelOrWrongLength() {
    ReplaySet.Builder builder = ReplaySet.builder(LABELS, 4);
    assertThrows(
        IllegalArgumentException.class,
        () -> builder.add(new float[4], "plastic", ReplaySet.Split.TRAIN, "s"));
    assertThrows(
        IllegalArgumentException.class,
        () -> builder.add(new float[3], "glass", ReplaySet.Split.TRAIN, "s"));
    assertThrows(
        IllegalArgumentException.class,
        () -> builder.add(new float[4], "glass", ReplaySet.Split.TRAIN, " "));
  }

  @Test
  void filtersRowsKeepingLabelsAndSources() {
    ReplaySet set = sample(90, 8, 4);
    ReplaySet val = set.filter(i -> set.split(i) == ReplaySet.Split.VAL);
    assertEquals(30, val.size());
    assertEquals(set.labels(), val.labels());
    for (int i = 0; i < val.size(); i++) {
      assertEquals(ReplaySet.Split.VAL, val.split(i));
      assertArrayEquals(set.features(3 * i + 1), val.features(i));
    }
  }
}
