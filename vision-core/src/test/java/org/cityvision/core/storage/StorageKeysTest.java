package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.junit.jupiter.api.Test;

/** Keys parse back into what they were built from. */
class StorageKeysTest {
  private static final Instant T0 = Instant.parse("2025-06-01T08:30:00.123Z");
  private static final FrameId FRAME = FrameId.generate("cam-7", T0);
  private static final FlagRecord FLAG =
      FlagRecord.open(FRAME.value(), "pothole", 0.4321, "urban", "1.0.0", T0.plusSeconds(5));

  @Test
  void queueMarkersOfEveryIndexParseBackToTheirFlag() {
    for (FlagOrder order : FlagOrder.values()) {
      QueueKey key =
          StorageKeys.queueKeyOf(StorageKeys.queueEntry(FlagStatus.OPEN, order, FLAG), order);
      assertEquals(
          new QueueKey(
              FLAG.flaggedAt().toEpochMilli(), FRAME.value(), "cam-7", "pothole", FLAG.revision()),
          key,
          order.toString());
    }
    String unrevisioned = StorageKeys.unrevisionedEntryName(FLAG);
    assertEquals(0, StorageKeys.queueKey(unrevisioned, FlagOrder.NEWEST_FIRST).revision());
    assertNull(StorageKeys.queueKey("not-a-marker", FlagOrder.NEWEST_FIRST));
    assertNull(StorageKeys.queueKey(unrevisioned + ".r0", FlagOrder.NEWEST_FIRST));
  }

  @Test
  void frameAndThumbnailKeysNameTheirFrame() {
    assertEquals(Optional.of(FRAME), StorageKeys.frameOf(StorageKeys.frame(FRAME, "image/png")));
    assertEquals(Optional.of(FRAME), StorageKeys.frameOfThumbnail(StorageKeys.thumbnail(FRAME)));
    assertTrue(StorageKeys.isThumbnail(StorageKeys.thumbnail(FRAME)));
    assertEquals(Optional.empty(), StorageKeys.frameOf("frames/cam-7/2025/06/01/stray"));
    assertEquals(
        Optional.empty(), StorageKeys.frameOfThumbnail(StorageKeys.frame(FRAME, "image/jpeg")));
  }

  @Test
  void aFramesListingStartingAtACaptureTimeSkipsOnlyEarlierFrames() {
    String from = StorageKeys.framesFrom("cam-7", T0);
    String earlier = StorageKeys.frame(FrameId.generate("cam-7", T0.minusMillis(1)), "image/jpeg");
    String same = StorageKeys.frame(FRAME, "image/jpeg");
    assertTrue(earlier.compareTo(from) < 0);
    assertTrue(same.compareTo(from) > 0);
  }

  @Test
  void flatMarkersMoveToTheBucketedKeyOfTheSameName() {
    String base = StorageKeys.statusPrefix(FlagStatus.OPEN);
    for (String flat : StorageKeys.legacyQueueEntries(FlagStatus.OPEN, FLAG)) {
      String folder = flat.substring(base.length(), flat.indexOf('/', base.length()) + 1);
      String target = StorageKeys.bucketedQueueKey(FlagStatus.OPEN, base + folder, flat);
      assertTrue(
          StorageKeys.unrevisionedQueueEntries(FlagStatus.OPEN, FLAG).contains(target), flat);
    }
    assertNull(StorageKeys.bucketedQueueKey(FlagStatus.OPEN, base + "time/", base + "time/x"));
  }

  @Test
  void cameraIndexAndAlertKeysNameTheirCamera() {
    assertEquals("cam-7", StorageKeys.cameraOfIndex(StorageKeys.cameraIndex("cam-7")));
    assertEquals("cam-7", StorageKeys.cameraOfAlert(StorageKeys.cameraAlert("cam-7")));
  }

  @Test
  void taskLeasesAndBatchPrefixesFollowTheNameRules() {
    assertEquals("system/leases/retention/42.json", StorageKeys.lease("retention", "42"));
    assertThrows(IllegalArgumentException.class, () -> StorageKeys.lease("a/b", "1"));
    assertEquals("frames/cam-7/", StorageKeys.requireFramesPrefix("frames/cam-7/"));
    assertThrows(IllegalArgumentException.class, () -> StorageKeys.requireFramesPrefix("flags/"));
    assertThrows(
        IllegalArgumentException.class, () -> StorageKeys.requireFramesPrefix("frames/../x"));
  }

  @Test
  void shadowRunsAreToldApartFromTheNodesComparisonsBesideThem() {
    assertTrue(StorageKeys.isShadowRun("waste", StorageKeys.shadow("waste", "c1")));
    assertTrue(
        StorageKeys.shadowNode("waste", "c1", "n1")
            .startsWith(StorageKeys.shadowNodesPrefix("waste", "c1")));
    assertFalse(StorageKeys.isShadowRun("waste", StorageKeys.shadowNode("waste", "c1", "n1")));
  }
}
