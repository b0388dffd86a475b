package org.cityvision.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.ResultRecord;
import org.junit.jupiter.api.Test;

class PooledFeaturesTest {
  private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

  @Test
  void keepsEachFeatureInTwoBytesAndGivesItBackWithinHalfPrecision() {
    float[] values = {0f, 1f, -2.5f, 1e-3f, 123.456f, 70_000f, -1e-8f};

    PooledFeatures f = PooledFeatures.of("urban", "1.0.0", DIGEST, values);

    assertEquals(values.length, f.size());
    assertEquals(2 * values.length, f.float16().length);
    float[] back = f.values();
    assertArrayEquals(new float[] {0f, 1f, -2.5f}, new float[] {back[0], back[1], back[2]});
    assertEquals(1e-3f, back[3], 1e-6f);
    assertEquals(123.456f, back[4], 0.07f);
    assertEquals(65504f, back[5], "beyond the half range saturates instead of becoming infinite");
    assertEquals(0f, back[6], 1e-7f);
  }

  @Test
  void matchesOnlyTheSameBackboneDigestAndSize() {
    PooledFeatures f = PooledFeatures.of("urban", "1.0.0", DIGEST, new float[8]);

    assertTrue(f.matches(DIGEST, 8));
    assertFalse(f.matches(DIGEST, 9));
    assertFalse(f.matches("sha256:" + "f".repeat(64), 8));
  }

  @Test
  void refusesAMalformedDigestOrAnOddByteCount() {
    IllegalArgumentException digest =
        assertThrows(
            IllegalArgumentException.class,
            () -> new PooledFeatures("urban", "1.0.0", "md5:abc", new byte[4]));
    assertTrue(digest.getMessage().contains("md5:abc"), digest.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new PooledFeatures("urban", "1.0.0", DIGEST, new byte[3]));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PooledFeatures("urban", "1.0.0", DIGEST, new byte[0]));
  }

  @Test
  void aResultRefusesFeaturesOfAnotherModelVersion() {
    PooledFeatures f = PooledFeatures.of("urban", "1.0.0", DIGEST, new float[4]);
    String frameId = FrameId.generate("cam-1", Instant.parse("2026-12-01T00:00:00Z")).value();

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ResultRecord(
                    frameId,
                    "urban",
                    "1.1.0",
                    Instant.now(),
                    JsonNodeFactory.instance.objectNode(),
                    f));
    assertTrue(e.getMessage().contains("1.1.0"), e.getMessage());
  }
}
