package org.cityvision.core.storage.spool;

import java.util.List;

/**
 * One fsynced spool file: the objects of one accepted write (a frame and its thumbnail, a result, a
 * flag with its queue entries), delivered together and removed together.
 *
 * @param sequence order of acceptance; the flusher delivers oldest first
 * @param keys the object keys in the entry, in write order
 * @param sizeBytes the file's size, counted against the spool's bound
 */
public record SpoolEntry(long sequence, List<String> keys, long sizeBytes) {
  public SpoolEntry {
    keys = List.copyOf(keys);
  }
}
