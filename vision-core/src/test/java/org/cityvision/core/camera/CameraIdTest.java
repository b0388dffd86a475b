package org.cityvision.core.camera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CameraIdTest {
  @Test
  void acceptsLettersDigitsUnderscoresAndDashesUpTo64() {
    assertTrue(CameraId.isValid("cam-7_North"));
    assertTrue(CameraId.isValid("a".repeat(64)));
    assertEquals("cam-7", new CameraId("cam-7").toString());
  }

  @Test
  void rejectsWhatCannotBeAKeySegment() {
    for (String bad :
        new String[] {null, "", "a".repeat(65), "cam.7", "cam/7", "cam 7", "kamera-ü"}) {
      assertFalse(CameraId.isValid(bad), String.valueOf(bad));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new CameraId("cam/7"));
    assertTrue(e.getMessage().contains("cam/7") && e.getMessage().contains(CameraId.RULE));
  }
}
