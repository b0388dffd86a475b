package org.cityvision.core.storage;

import io.minio.Result;
import io.minio.messages.Item;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns retention: walks {@code frames/} in chunks (one listing page and one batched delete per
 * chunk, so memory stays bounded by the chunk) and deletes what the {@link RetentionPolicy} lets
 * go.
 *
 * <ul>
 *   <li>A frame captured more than {@code unflaggedFrames} ago with no flag is deleted, with its
 *       thumbnail and results.
 *   <li>A flagged frame is kept while the flag is open; once reviewed, it is deleted with its
 *       thumbnail, results, flag revisions and queue entries when both {@code unflaggedFrames}
 *       after capture and {@code reviewedFlags} after the last review have passed.
 *   <li>Verdicts ({@code reviews/}), API keys and job state are never deleted.
 *   <li>Nothing with a write still waiting in the spool is deleted.
 *   <li>Idempotency records older than {@code idempotencyKeys} are deleted.
 * </ul>
 *
 * <p>Safe to run on several nodes at once (deletes are idempotent), though one is enough. Not
 * thread-safe itself: one instance per pass.
 */
final class RetentionCleanup {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionCleanup.class);

  private final MinioFrameStore store;
  private final RetentionPolicy policy;

  RetentionCleanup(MinioFrameStore store, RetentionPolicy policy) {
    this.store = store;
    this.policy = policy;
  }

  RetentionReport run(Instant now, int chunkSize) throws StorageException {
    if (chunkSize < 1 || chunkSize > 1000) {
      throw new IllegalArgumentException("chunkSize must be in 1..1000, got " + chunkSize);
    }
    Instant capturedBefore = now.minus(policy.unflaggedFrames());
    Instant reviewedBefore = now.minus(policy.reviewedFlags());
    long scanned = 0;
    long framesDeleted = 0;
    long flagsDeleted = 0;
    long keptOpen = 0;
    long keptSpooled = 0;
    String cursor = null;
    do {
      Page<String> page = store.listKeyPage(StorageKeys.FRAMES, cursor, chunkSize);
      List<String> doomed = new ArrayList<>();
      for (String key : page.items()) {
        if (key.endsWith(StorageKeys.THUMB_SUFFIX)) {
          continue;
        }
        scanned++;
        String name = key.substring(key.lastIndexOf('/') + 1);
        FrameId id;
        try {
          id = FrameId.parse(name.substring(0, name.lastIndexOf('.')));
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
          continue; // Not written by this store; leave it alone.
        }
        if (!id.capturedAt().isBefore(capturedBefore)) {
          continue; // Young frames need no request at all.
        }
        String frameId = id.value();
        if (inSpool(id, key)) {
          keptSpooled++;
          continue;
        }
        Optional<FlagRecord> flag = store.flagHead(frameId);
        if (flag.isPresent()) {
          if (flag.get().status() == FlagStatus.OPEN) {
            keptOpen++;
            continue;
          }
          if (!flag.get().reviewedAt().isBefore(reviewedBefore)) {
            continue;
          }
          doomed.addAll(store.listKeys(StorageKeys.flagLogPrefix(frameId), 100_000));
          for (FlagStatus status : FlagStatus.values()) {
            for (FlagOrder order : FlagOrder.values()) {
              doomed.add(StorageKeys.queueEntry(status, order, flag.get()));
            }
          }
          flagsDeleted++;
        }
        doomed.add(key);
        doomed.add(StorageKeys.thumbnail(id));
        doomed.addAll(store.listKeys(StorageKeys.resultsPrefix(frameId), 100_000));
        framesDeleted++;
      }
      store.removeAll(doomed);
      cursor = page.nextCursor();
    } while (cursor != null);
    long idempotencyDeleted = expireIdempotency(now.minus(policy.idempotencyKeys()), chunkSize);
    RetentionReport report =
        new RetentionReport(scanned, framesDeleted, flagsDeleted, keptOpen, keptSpooled,
            idempotencyDeleted);
    LOG.info("retention pass: {}", report);
    return report;
  }

  private boolean inSpool(FrameId id, String key) {
    var spool = store.spool();
    return spool.contains(key)
        || spool.contains(StorageKeys.thumbnail(id))
        || !spool.keys(StorageKeys.resultsPrefix(id.value())).isEmpty()
        || !spool.keys(StorageKeys.flagLogPrefix(id.value())).isEmpty();
  }

  private long expireIdempotency(Instant writtenBefore, int chunkSize) throws StorageException {
    long deleted = 0;
    List<String> doomed = new ArrayList<>();
    try {
      for (Result<Item> result : store.list(StorageKeys.IDEMPOTENCY, null)) {
        Item item = result.get();
        if (item.lastModified() != null && item.lastModified().toInstant().isBefore(writtenBefore)) {
          doomed.add(item.objectName());
          if (doomed.size() == chunkSize) {
            store.removeAll(doomed);
            deleted += doomed.size();
            doomed.clear();
          }
        }
      }
    } catch (StorageException e) {
      throw e;
    } catch (Exception e) {
      throw MinioFrameStore.translate("list " + StorageKeys.IDEMPOTENCY, e);
    }
    store.removeAll(doomed);
    return deleted + doomed.size();
  }
}
