package org.cityvision.serving.review;

import org.cityvision.core.storage.FlagStatus;
import org.cityvision.core.storage.StorageException;

/**
 * Counts the flags of a status, for the review page's tabs. Blocking: call on a worker.
 *
 * <p>{@link ScanningFlagCounter} counts through {@code FrameStore.listFlags}; a store that can
 * count its queue keys directly (one listing per 1,000 flags) replaces it with a lambda.
 */
@FunctionalInterface
public interface FlagCounter {
  FlagCount count(FlagStatus status) throws StorageException;

  /** Called after a verdict moved a flag between statuses; a caching counter forgets its counts. */
  default void changed() {}
}
