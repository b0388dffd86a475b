package org.cityvision.core.storage;

import org.cityvision.core.review.FlagQuery;

/**
 * A queue marker's name, parsed ({@link StorageKeys#queueKey}): markers carry what the filters
 * need, and the revision of the flag they were written for (0 in markers written before names
 * carried it). Immutable.
 */
public record QueueKey(
    long flaggedAtMillis, String frameId, String cameraId, String label, long revision) {

  /** Whether the marker passes the query's camera, label and time filters (read from names). */
  public boolean matches(FlagQuery q) {
    return (q.cameraId() == null || q.cameraId().equals(cameraId))
        && (q.label() == null || q.label().equals(label))
        && (q.since() == null || flaggedAtMillis >= q.since().toEpochMilli())
        && (q.until() == null || flaggedAtMillis <= q.until().toEpochMilli());
  }
}
