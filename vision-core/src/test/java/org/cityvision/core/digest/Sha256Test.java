package org.cityvision.core.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Test {
  private static final String ABC =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void hashesBytesAndUtf8TextToTheStandardVector() {
    assertEquals(ABC, Sha256.hex("abc".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(ABC, Sha256.hex("abc"));
    assertEquals(32, Sha256.of("abc").length);
  }

  @Test
  void hashesAFileLargerThanOneReadAsItsBytes(@TempDir Path dir) throws Exception {
    byte[] content = new byte[200_000];
    new Random(7).nextBytes(content);
    Path file = Files.write(dir.resolve("blob"), content);

    assertEquals(Sha256.hex(content), Sha256.hex(file));
  }

  @Test
  void hashesInPartsAsInOne() {
    var digest = Sha256.newDigest();
    digest.update("a".getBytes(StandardCharsets.UTF_8));
    digest.update("bc".getBytes(StandardCharsets.UTF_8));

    assertEquals(ABC, Sha256.hex(digest));
  }
}
