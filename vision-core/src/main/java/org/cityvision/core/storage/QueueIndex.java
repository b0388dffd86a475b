package org.cityvision.core.storage;

/**
 * One index of the review queue: empty markers named so that S3's ascending key order is the
 * queue's order, filed in nested folders cut from the name's leading digits, so that no folder the
 * store lists grows with the queue.
 *
 * <p>Why folders: S3Proxy's filesystem store reads every entry of a listed folder on each request
 * (start-after and max-keys do not bound it), so a flat index costs a page what the whole queue
 * holds. A listing with the {@code /} delimiter reads one folder level. The walk ({@link
 * QueueWalk}) lists the folders of each level and then the leaf folders it needs, in order; each
 * holds one window of flag time (100 s in the time and label indexes, 16.7 min in a camera's and,
 * within one hundredth of score, in the score index), so a page reads a few small folders whatever
 * the queue holds.
 *
 * <p>Every folder segment is a fixed-width slice of the entry's name, taken from the left, so the
 * order of the full keys is the order of the names, on MinIO as on S3Proxy; a name alone gives its
 * key ({@link #key}), and a cursor or a start point is a name.
 *
 * <p>Immutable and thread-safe.
 */
public final class QueueIndex {
  private final String root;

  /** Pairs of (start, length) into the entry name, one per folder level. */
  private final int[] cuts;

  private QueueIndex(String root, int... cuts) {
    this.root = root;
    this.cuts = cuts.clone();
  }

  /**
   * Names {@code {inverted millis:13}.{frameId}.{label}}: folders of 11.6 days, 2.8 hours and 100
   * seconds of flag time.
   */
  static QueueIndex byTime(String root) {
    return new QueueIndex(root, 0, 4, 4, 2, 6, 2);
  }

  /**
   * A camera's entries, named as in {@link #byTime}: folders of 11.6 days, 2.8 hours and 16.7
   * minutes (a camera's flags are a small share of the queue, so its leaves span more time).
   */
  static QueueIndex byCameraTime(String root) {
    return new QueueIndex(root, 0, 4, 4, 2, 6, 1);
  }

  /**
   * Names {@code {score in hundredths:3}.{inverted millis:13}.{frameId}.{label}}: a folder per
   * hundredth of score, then folders of 11.6 days, 2.8 hours and 16.7 minutes of flag time. The
   * lowest score comes first in steps of 0.01, newest first within a step.
   */
  static QueueIndex byScore(String root) {
    return new QueueIndex(root, 0, 3, 4, 4, 8, 2, 10, 1);
  }

  /** The prefix every key of this index starts with, ending in {@code /}. */
  public String root() {
    return root;
  }

  /** Folder levels below the root; the entries are in the folders of the last level. */
  public int depth() {
    return cuts.length / 2;
  }

  /** The shortest name this index can file: the end of its last cut. */
  private int minimumName() {
    return cuts[cuts.length - 2] + cuts[cuts.length - 1];
  }

  /** The key of the entry {@code name}. */
  public String key(String name) {
    return root + folders(name, depth()) + name;
  }

  /**
   * The first {@code levels} folder segments of {@code name}, each followed by {@code /}, relative
   * to the root.
   */
  public String folders(String name, int levels) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < levels; i++) {
      int start = cuts[2 * i];
      b.append(name, start, start + cuts[2 * i + 1]).append('/');
    }
    return b.toString();
  }

  /** A folder or key of this index relative to its root: the folder segments, then the name. */
  public String relative(String key) {
    if (!key.startsWith(root)) {
      throw new IllegalArgumentException(key + " is not in " + this);
    }
    return key.substring(root.length());
  }

  /**
   * The entry name of {@code key} (what follows its last {@code /}).
   *
   * @throws IllegalArgumentException if the key is not under the root or its name is too short to
   *     be filed here (a cursor of another listing)
   */
  public String nameOf(String key) {
    String name = StorageKeys.nameOf(key);
    if (!key.startsWith(root) || name.length() < minimumName()) {
      throw new IllegalArgumentException("cursor does not belong to this listing");
    }
    return name;
  }

  @Override
  public String toString() {
    return "queue index " + root;
  }
}
