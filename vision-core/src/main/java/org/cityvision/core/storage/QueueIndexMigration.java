package org.cityvision.core.storage;

import io.minio.Result;
import io.minio.messages.Item;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.logging.Logger;

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
 * <p>Run by {@link MinioFrameStore} when it opens and before each recount. Stateless; safe to run
 * from several threads and nodes at once.
 */
final class QueueIndexMigration {
  private static final Logger LOG = Logger.getLogger(QueueIndexMigration.class.getName());
  private static final int BATCH = 500;

  private QueueIndexMigration() {}

  /** Moves every flat marker into the bucketed index; the number of markers moved. */
  static long run(MinioFrameStore store, ExecutorService pool) throws StorageException {
    long moved = 0;
    for (FlagStatus status : FlagStatus.values()) {
      String base = StorageKeys.FLAGS + status.keyName() + "/";
      List<String> present = store.listLevel(base).folders();
      for (String folder : StorageKeys.LEGACY_QUEUE_FOLDERS) {
        if (present.contains(base + folder)) {
          moved += move(store, pool, status, base + folder);
        }
      }
    }
    if (moved > 0) {
      LOG.info("moved " + moved + " flat queue markers into the bucketed queue index");
    }
    return moved;
  }

  private static long move(
      MinioFrameStore store, ExecutorService pool, FlagStatus status, String prefix)
      throws StorageException {
    long moved = 0;
    List<String> old = new ArrayList<>();
    List<String> fresh = new ArrayList<>();
    try {
      for (Result<Item> r : store.list(prefix, null)) {
        String key = r.get().objectName();
        String target = target(status, prefix, key.substring(prefix.length()));
        if (target == null) {
          continue; // Not a queue marker of this store; leave it alone.
        }
        old.add(key);
        fresh.add(target);
        if (old.size() == BATCH) {
          moved += flush(store, pool, old, fresh);
        }
      }
    } catch (StorageException e) {
      throw e;
    } catch (Exception e) {
      throw MinioFrameStore.translate("list " + prefix, e);
    }
    return moved + flush(store, pool, old, fresh);
  }

  /** Writes the new markers (in parallel), then deletes the old keys; empties both lists. */
  private static int flush(
      MinioFrameStore store, ExecutorService pool, List<String> old, List<String> fresh)
      throws StorageException {
    List<Future<?>> writes = new ArrayList<>();
    for (String key : fresh) {
      writes.add(
          pool.submit(
              () -> {
                store.put(MinioFrameStore.marker(key));
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
            : MinioFrameStore.translate("write queue marker", (Exception) e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while moving queue markers", e);
      }
    }
    store.removeAll(old);
    int n = old.size();
    old.clear();
    fresh.clear();
    return n;
  }

  /**
   * The bucketed key of the flat marker {@code rest} (the key after {@code prefix}), or {@code
   * null} if it is not one.
   */
  static String target(FlagStatus status, String prefix, String rest) {
    String folder = prefix.substring(prefix.lastIndexOf('/', prefix.length() - 2) + 1);
    switch (folder) {
      case "time/":
        return parses(rest, FlagOrder.NEWEST_FIRST)
            ? StorageKeys.queueIndex(status, FlagOrder.NEWEST_FIRST).key(rest)
            : null;
      case "score/":
        {
          int dot = rest.indexOf('.');
          if (dot != 7 || !parses(rest, FlagOrder.LEAST_CONFIDENT_FIRST)) {
            return null;
          }
          long micros;
          try {
            micros = Long.parseLong(rest.substring(0, dot));
          } catch (NumberFormatException e) {
            return null;
          }
          String name = String.format(Locale.ROOT, "%03d", micros / 10_000) + rest.substring(dot);
          return StorageKeys.queueIndex(status, FlagOrder.LEAST_CONFIDENT_FIRST).key(name);
        }
      case "camera/":
      case "label/":
        {
          int slash = rest.indexOf('/');
          if (slash < 1 || rest.indexOf('/', slash + 1) >= 0) {
            return null;
          }
          String owner = rest.substring(0, slash);
          String name = rest.substring(slash + 1);
          if (!parses(name, FlagOrder.NEWEST_FIRST)) {
            return null;
          }
          QueueIndex index =
              folder.equals("camera/")
                  ? StorageKeys.cameraQueue(status, owner)
                  : StorageKeys.labelQueue(status, owner);
          return index.key(name);
        }
      default:
        return null;
    }
  }

  private static boolean parses(String name, FlagOrder order) {
    return !name.contains("/") && MinioFrameStore.QueueKey.parse(name, order) != null;
  }
}
