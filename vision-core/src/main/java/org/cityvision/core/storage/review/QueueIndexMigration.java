package org.cityvision.core.storage.review;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.logging.Logger;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.QueueIndex;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.core.storage.bucket.DurableBucket;

/**
 * Rewrites the flat queue markers of a store written before the bucketed index ({@code
 * flags/{status}/time/}, {@code score/}, {@code camera/{cameraId}/}, {@code label/{label}/}) into
 * the {@link QueueIndex} folders and deletes them.
 *
 * <p>Each new key follows from the old key alone (its name carries time, frame id, label and, in
 * the score index, the score), so no flag is read. A batch's new markers are written before its old
 * ones are deleted, so a run killed anywhere loses no entry, and the next run goes on with what is
 * left (the flat folders empty as it goes). Two nodes running it at once write the same markers and
 * delete the same keys: harmless. A marker that was stale before (a crash between a verdict and its
 * queue update) stays stale under its new key and is repaired as any stale marker. Moved markers
 * keep their names, which carry no revision: a page reads their flags from the flag's log.
 *
 * <p>Run by the {@link ReviewQueueStore} when the store opens and before each recount. Stateless;
 * safe to run from several threads and nodes at once.
 */
final class QueueIndexMigration {
  private static final Logger LOG = Logger.getLogger(QueueIndexMigration.class.getName());
  private static final int BATCH = 500;

  private QueueIndexMigration() {}

  /** Moves every flat marker into the bucketed index; the number of markers moved. */
  static long run(DurableBucket bucket, ExecutorService pool) throws StorageException {
    long moved = 0;
    for (FlagStatus status : FlagStatus.values()) {
      String base = StorageKeys.statusPrefix(status);
      List<String> present = bucket.listLevel(base).folders();
      for (String folder : StorageKeys.LEGACY_QUEUE_FOLDERS) {
        if (present.contains(base + folder)) {
          moved += move(bucket, pool, status, base + folder);
        }
      }
    }
    if (moved > 0) {
      LOG.info("moved " + moved + " flat queue markers into the bucketed queue index");
    }
    return moved;
  }

  private static long move(
      DurableBucket bucket, ExecutorService pool, FlagStatus status, String prefix)
      throws StorageException {
    List<String> old = new ArrayList<>();
    List<String> fresh = new ArrayList<>();
    long[] moved = {0};
    bucket.walk(
        prefix,
        null,
        entry -> {
          String key = entry.key();
          String target = StorageKeys.bucketedQueueKey(status, prefix, key);
          if (target == null) {
            return true; // Not a queue marker of this store; leave it alone.
          }
          old.add(key);
          fresh.add(target);
          if (old.size() == BATCH) {
            moved[0] += flush(bucket, pool, old, fresh);
          }
          return true;
        });
    return moved[0] + flush(bucket, pool, old, fresh);
  }

  /** Writes the new markers (in parallel), then deletes the old keys; empties both lists. */
  private static int flush(
      DurableBucket bucket, ExecutorService pool, List<String> old, List<String> fresh)
      throws StorageException {
    List<Future<?>> writes = new ArrayList<>();
    for (String key : fresh) {
      writes.add(
          pool.submit(
              () -> {
                bucket.put(DurableBucket.marker(key));
                return null;
              }));
    }
    for (Future<?> w : writes) {
      try {
        w.get();
      } catch (ExecutionException e) {
        writes.forEach(f -> f.cancel(false));
        throw e.getCause() instanceof StorageException s
            ? s
            : DurableBucket.translate("write queue marker", (Exception) e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while moving queue markers", e);
      }
    }
    bucket.removeAll(old);
    int n = old.size();
    old.clear();
    fresh.clear();
    return n;
  }
}
