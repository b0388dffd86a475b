package org.cityvision.core.storage.review;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.cityvision.core.storage.QueueIndex;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.core.storage.bucket.DurableBucket;

/**
 * The keys of one {@link QueueIndex} in order, after a given entry name: lists each folder level
 * with the {@code /} delimiter (one level per request), skips the folders that sort before the
 * start, and lists leaf folders only as the caller asks for more keys. Leaf folders are listed
 * ahead on {@code pool}: one at first, then twice as many each time the caller needs another, up to
 * {@value #MAX_AHEAD}, so that a dense queue costs a page one or two small listings and a sparse
 * one (a camera filter over months) reads its many small folders in parallel.
 *
 * <p>Not thread-safe: one caller iterates it. {@link #close} cancels the listings still ahead.
 */
final class QueueWalk implements AutoCloseable {
  static final int MAX_AHEAD = 8;

  private final DurableBucket bucket;
  private final QueueIndex index;
  private final String after;
  private final ExecutorService pool;

  /** Folders still to walk, one deque per level, the deepest on top. */
  private final Deque<ArrayDeque<String>> stack = new ArrayDeque<>();

  private final ArrayDeque<Future<List<String>>> ahead = new ArrayDeque<>();
  private Iterator<String> current;
  private boolean started;
  private boolean foldersDone;
  private int window = 1;

  /**
   * @param after the entry name to start after (exclusive), or {@code null} for the start
   */
  QueueWalk(DurableBucket bucket, QueueIndex index, String after, ExecutorService pool) {
    this.bucket = bucket;
    this.index = index;
    this.after = after;
    this.pool = pool;
  }

  /** The next key, or {@code null} at the end of the index. */
  String next() throws StorageException {
    while (true) {
      if (current != null && current.hasNext()) {
        return current.next();
      }
      if (current != null) {
        window = Math.min(MAX_AHEAD, window * 2);
      }
      listAhead();
      Future<List<String>> leaf = ahead.poll();
      if (leaf == null) {
        return null;
      }
      current = await(leaf).iterator();
    }
  }

  private void listAhead() throws StorageException {
    while (ahead.size() < window && !foldersDone) {
      String folder = nextLeafFolder();
      if (folder == null) {
        foldersDone = true;
        return;
      }
      ahead.add(pool.submit(() -> entries(folder)));
    }
  }

  /** The next leaf folder in order, descending through the folder levels as needed. */
  private String nextLeafFolder() throws StorageException {
    if (!started) {
      started = true;
      stack.push(subfolders(index.root(), 1));
    }
    while (!stack.isEmpty()) {
      ArrayDeque<String> level = stack.peek();
      String folder = level.poll();
      if (folder == null) {
        stack.pop();
        continue;
      }
      int depth = stack.size();
      if (depth == index.depth()) {
        return folder;
      }
      stack.push(subfolders(folder, depth + 1));
    }
    return null;
  }

  /** The folders of {@code level} under {@code prefix} that can hold entries after the start. */
  private ArrayDeque<String> subfolders(String prefix, int level) throws StorageException {
    String from = after == null ? null : index.folders(after, level);
    ArrayDeque<String> out = new ArrayDeque<>();
    for (String folder : bucket.listLevel(prefix).folders()) {
      if (from == null || index.relative(folder).compareTo(from) >= 0) {
        out.add(folder);
      }
    }
    return out;
  }

  /** The entry keys of one leaf folder after the start, in order. */
  private List<String> entries(String folder) throws StorageException {
    List<String> out = new ArrayList<>();
    for (String key : bucket.listLevel(folder).keys()) {
      if (after == null || StorageKeys.nameOf(key).compareTo(after) > 0) {
        out.add(key);
      }
    }
    return out;
  }

  private static List<String> await(Future<List<String>> leaf) throws StorageException {
    try {
      return leaf.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof StorageException s
          ? s
          : DurableBucket.translate("list queue folder", (Exception) e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while listing the queue", e);
    }
  }

  @Override
  public void close() {
    ahead.forEach(f -> f.cancel(false));
    ahead.clear();
  }
}
