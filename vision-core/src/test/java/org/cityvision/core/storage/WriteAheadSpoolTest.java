package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cityvision.core.storage.spool.SpoolEntry;
import org.cityvision.core.storage.spool.SpoolObject;
import org.cityvision.core.storage.spool.WriteAheadSpool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool's own guarantees, on disk only. */
class WriteAheadSpoolTest {
  @TempDir Path dir;

  private static SpoolObject object(String key, int size) {
    return new SpoolObject(
        key, "image/jpeg", Map.of("sha256", "x"), StoreFixture.jpeg(size, size), false);
  }

  @Test
  void keepsEntriesInOrderAcrossReopen() throws Exception {
    try (WriteAheadSpool spool = WriteAheadSpool.open(dir, 1 << 20)) {
      spool.append(List.of(object("a", 10), object("a.thumb", 5)));
      spool.append(List.of(object("b", 20)));
    }

    try (WriteAheadSpool spool = WriteAheadSpool.open(dir, 1 << 20)) {
      SpoolEntry oldest = spool.oldest().orElseThrow();
      assertEquals(List.of("a", "a.thumb"), oldest.keys());
      assertArrayEquals(StoreFixture.jpeg(10, 10), spool.read(oldest).get(0).content());
      spool.remove(oldest);
      assertEquals(List.of("b"), spool.oldest().orElseThrow().keys());
      assertEquals(1, spool.items());
      assertFalse(spool.contains("a"));
    }
  }

  @Test
  void dropsUnacknowledgedTempFileAndQuarantinesCorruptEntryOnOpen() throws Exception {
    try (WriteAheadSpool spool = WriteAheadSpool.open(dir, 1 << 20)) {
      spool.append(List.of(object("good", 10)));
      spool.append(List.of(object("bad", 10)));
    }
    // A write cut off before its rename, and a flipped bit in a complete entry.
    Files.write(dir.resolve("0000000000000000099.entry.tmp"), new byte[] {1, 2, 3});
    Path bad = dir.resolve("0000000000000000002.entry");
    byte[] bytes = Files.readAllBytes(bad);
    bytes[20] ^= 0x01;
    Files.write(bad, bytes);

    try (WriteAheadSpool spool = WriteAheadSpool.open(dir, 1 << 20)) {
      assertEquals(1, spool.items());
      assertTrue(spool.contains("good"));
      assertEquals(1, spool.corruptEntries());
      assertFalse(Files.exists(dir.resolve("0000000000000000099.entry.tmp")));
      assertTrue(Files.exists(dir.resolve("corrupt").resolve("0000000000000000002.entry")));
    }
  }
}
