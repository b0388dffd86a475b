package org.cityvision.core.storage.spool;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.SpoolFullException;
import org.cityvision.core.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A write-ahead spool in one local directory: each accepted write becomes one file, written to a
 * temporary name, fsynced, renamed into place and the directory fsynced, so that once {@link
 * #append} returns the write survives a crash or power cut. Files carry a SHA-256 trailer;
 * temporary files left by a crash were never acknowledged and are deleted on open; files that fail
 * their checksum are moved to {@code corrupt/} and reported, never delivered.
 *
 * <h2>One process per directory</h2>
 *
 * {@link #open} takes an exclusive file lock on {@code .lock}, so two processes (or two stores in
 * one JVM) never replay the same spool. The OS releases it when the process dies.
 *
 * <h2>Ownership and thread-safety</h2>
 *
 * Whoever opens the spool closes it, which releases the lock; entries stay on disk. Thread-safe:
 * appends run their fsyncs concurrently; only the bookkeeping is serialised.
 */
public final class WriteAheadSpool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteAheadSpool.class);
  private static final int MAGIC = 0x43565350; // "CVSP"
  private static final int FORMAT = 1;
  private static final String SUFFIX = ".entry";
  private static final String TMP_SUFFIX = ".tmp";

  private final Path dir;
  private final long maxBytes;
  private final FileChannel lockChannel;
  private final FileLock lock;

  // Guarded by this.
  private final TreeMap<Long, SpoolEntry> entries = new TreeMap<>();
  private final Map<String, Long> newestByKey = new HashMap<>();
  private long nextSequence;
  private long usedBytes;
  private long reservedBytes;
  private long corruptEntries;

  private WriteAheadSpool(Path dir, long maxBytes, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Opens (creating if needed) the spool in {@code dir}, locks it and indexes the entries a
   * previous process left, which the caller then replays.
   *
   * @throws StorageException if another process or store holds the directory, or it is unreadable
   */
  public static WriteAheadSpool open(Path dir, long maxBytes) throws StorageException {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
    }
    FileChannel channel = null;
    try {
      Files.createDirectories(dir.resolve("corrupt"));
      channel =
          FileChannel.open(
              dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StorageException("spool directory " + dir + " is in use by another store");
      }
      WriteAheadSpool spool = new WriteAheadSpool(dir, maxBytes, channel, lock);
      spool.recover();
      return spool;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StorageException("cannot open spool directory " + dir, e);
    } catch (StorageException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Opening already failed; that failure is the one to report.
      }
    }
  }

  private synchronized void recover() throws IOException {
    long maxSeen = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.endsWith(TMP_SUFFIX)) {
          // Never renamed into place, so never acknowledged to a client: safe to drop.
          Files.deleteIfExists(file);
          continue;
        }
        if (!name.endsWith(SUFFIX)) {
          continue;
        }
        long sequence;
        try {
          sequence = Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
          continue;
        }
        maxSeen = Math.max(maxSeen, sequence);
        try {
          List<SpoolObject> objects = decode(Files.readAllBytes(file), file);
          register(new SpoolEntry(sequence, keysOf(objects), Files.size(file)));
        } catch (ChecksumMismatchException e) {
          quarantine(file, e);
        }
      }
    }
    nextSequence = maxSeen + 1;
    if (!entries.isEmpty()) {
      LOG.info("spool {} holds {} entries ({} bytes) to replay", dir, entries.size(), usedBytes);
    }
  }

  private void quarantine(Path file, Exception why) throws IOException {
    corruptEntries++;
    Path target = dir.resolve("corrupt").resolve(file.getFileName());
    Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
    LOG.error("spool entry {} is corrupt, moved to {}: {}", file, target, why.getMessage());
  }

  private static List<String> keysOf(List<SpoolObject> objects) {
    List<String> keys = new ArrayList<>(objects.size());
    for (SpoolObject o : objects) {
      keys.add(o.key());
    }
    return keys;
  }

  private void register(SpoolEntry entry) {
    entries.put(entry.sequence(), entry);
    usedBytes += entry.sizeBytes();
    for (String key : entry.keys()) {
      newestByKey.merge(key, entry.sequence(), Math::max);
    }
  }

  /**
   * Writes {@code objects} as one entry and fsyncs it; when this returns, the write is durable.
   *
   * @throws SpoolFullException if the entry does not fit in the bound
   * @throws StorageException if the disk write fails
   */
  public SpoolEntry append(List<SpoolObject> objects) throws StorageException {
    if (objects.isEmpty()) {
      throw new IllegalArgumentException("a spool entry needs at least one object");
    }
    byte[] bytes = encode(objects);
    long sequence;
    synchronized (this) {
      if (usedBytes + reservedBytes + bytes.length > maxBytes) {
        throw new SpoolFullException(
            "spool "
                + dir
                + " is full: "
                + (usedBytes + reservedBytes)
                + " of "
                + maxBytes
                + " bytes used, entry needs "
                + bytes.length);
      }
      reservedBytes += bytes.length;
      sequence = nextSequence++;
    }
    boolean registered = false;
    Path tmp = dir.resolve(fileName(sequence) + TMP_SUFFIX);
    try {
      try (FileChannel out =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      Files.move(tmp, file(sequence), StandardCopyOption.ATOMIC_MOVE);
      syncDirectory();
      SpoolEntry entry = new SpoolEntry(sequence, keysOf(objects), bytes.length);
      synchronized (this) {
        reservedBytes -= bytes.length;
        register(entry);
        registered = true;
      }
      return entry;
    } catch (IOException e) {
      throw new StorageException("cannot write spool entry " + sequence + " in " + dir, e);
    } finally {
      if (!registered) {
        synchronized (this) {
          reservedBytes -= bytes.length;
        }
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Left behind, it is deleted on the next open.
        }
      }
    }
  }

  private void syncDirectory() throws IOException {
    // The rename is only durable once the directory itself is on disk.
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /** The oldest entry, which the flusher delivers next. */
  public synchronized Optional<SpoolEntry> oldest() {
    var first = entries.firstEntry();
    return first == null ? Optional.empty() : Optional.of(first.getValue());
  }

  /**
   * Reads an entry's objects back, checking the file's checksum.
   *
   * @throws ChecksumMismatchException if the file is corrupt; it is moved to {@code corrupt/}
   * @throws StorageException if it cannot be read
   */
  public List<SpoolObject> read(SpoolEntry entry) throws StorageException {
    Path file = file(entry.sequence());
    try {
      return decode(Files.readAllBytes(file), file);
    } catch (ChecksumMismatchException e) {
      synchronized (this) {
        forget(entry);
        try {
          quarantine(file, e);
        } catch (IOException io) {
          e.addSuppressed(io);
        }
      }
      throw e;
    } catch (IOException e) {
      throw new StorageException("cannot read spool entry " + file, e);
    }
  }

  /** The newest spooled write of {@code key}, or empty when none is waiting. */
  public Optional<SpoolObject> find(String key) throws StorageException {
    SpoolEntry entry;
    synchronized (this) {
      Long sequence = newestByKey.get(key);
      entry = sequence == null ? null : entries.get(sequence);
    }
    if (entry == null) {
      return Optional.empty();
    }
    try {
      for (SpoolObject o : read(entry)) {
        if (o.key().equals(key)) {
          return Optional.of(o);
        }
      }
    } catch (StorageException e) {
      // Delivered and removed between the lookup and the read: MinIO has it now.
      if (!Files.exists(file(entry.sequence()))) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.empty();
  }

  /** Whether a write of {@code key} is waiting. */
  public synchronized boolean contains(String key) {
    return newestByKey.containsKey(key);
  }

  /** Keys waiting under {@code prefix}, sorted. Linear in the spool's size, which is bounded. */
  public synchronized List<String> keys(String prefix) {
    return newestByKey.keySet().stream().filter(k -> k.startsWith(prefix)).sorted().toList();
  }

  /** Deletes a delivered entry. */
  public void remove(SpoolEntry entry) throws StorageException {
    try {
      Files.deleteIfExists(file(entry.sequence()));
    } catch (IOException e) {
      throw new StorageException("cannot delete delivered spool entry " + entry.sequence(), e);
    }
    synchronized (this) {
      forget(entry);
    }
  }

  private void forget(SpoolEntry entry) {
    if (entries.remove(entry.sequence()) == null) {
      return;
    }
    usedBytes -= entry.sizeBytes();
    for (String key : entry.keys()) {
      Long newest = newestByKey.get(key);
      if (newest != null && newest == entry.sequence()) {
        newestByKey.remove(key);
        // An older entry may hold the same key; keep pointing at the newest one left.
        for (var e : entries.descendingMap().values()) {
          if (e.keys().contains(key)) {
            newestByKey.put(key, e.sequence());
            break;
          }
        }
      }
    }
  }

  public synchronized long items() {
    return entries.size();
  }

  public synchronized long bytes() {
    return usedBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Entries found corrupt since open (moved to {@code corrupt/}). */
  public synchronized long corruptEntries() {
    return corruptEntries;
  }

  public Path directory() {
    return dir;
  }

  /** Releases the directory lock; entries stay on disk for the next open. */
  @Override
  public void close() throws StorageException {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new StorageException("cannot release spool lock in " + dir, e);
    }
  }

  private Path file(long sequence) {
    return dir.resolve(fileName(sequence) + SUFFIX);
  }

  private static String fileName(long sequence) {
    return String.format("%019d", sequence);
  }

  private static byte[] encode(List<SpoolObject> objects) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(objects.size());
      for (SpoolObject o : objects) {
        out.writeUTF(o.key());
        out.writeUTF(o.contentType());
        out.writeBoolean(o.createOnly());
        out.writeInt(o.metadata().size());
        for (var m : new TreeMap<>(o.metadata()).entrySet()) {
          out.writeUTF(m.getKey());
          out.writeUTF(m.getValue());
        }
        out.writeInt(o.content().length);
        out.write(o.content());
      }
      out.flush();
      byte[] body = bytes.toByteArray();
      out.write(sha256(body, body.length));
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory cannot fail", e);
    }
  }

  private static List<SpoolObject> decode(byte[] bytes, Path file)
      throws ChecksumMismatchException {
    if (bytes.length < 32 + 12) {
      throw new ChecksumMismatchException("spool entry " + file + " is truncated");
    }
    int bodyLength = bytes.length - 32;
    byte[] expected = Arrays.copyOfRange(bytes, bodyLength, bytes.length);
    if (!MessageDigest.isEqual(expected, sha256(bytes, bodyLength))) {
      throw new ChecksumMismatchException("spool entry " + file + " fails its SHA-256 check");
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bodyLength));
      if (in.readInt() != MAGIC || in.readInt() != FORMAT) {
        throw new ChecksumMismatchException("spool entry " + file + " has an unknown format");
      }
      int count = in.readInt();
      List<SpoolObject> objects = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String key = in.readUTF();
        String contentType = in.readUTF();
        boolean createOnly = in.readBoolean();
        int metaCount = in.readInt();
        Map<String, String> meta = new HashMap<>();
        for (int m = 0; m < metaCount; m++) {
          meta.put(in.readUTF(), in.readUTF());
        }
        byte[] content = new byte[in.readInt()];
        in.readFully(content);
        objects.add(new SpoolObject(key, contentType, meta, content, createOnly));
      }
      return objects;
    } catch (EOFException e) {
      throw new ChecksumMismatchException("spool entry " + file + " is truncated", e);
    } catch (IOException e) {
      throw new ChecksumMismatchException("spool entry " + file + " is unreadable", e);
    }
  }

  private static byte[] sha256(byte[] bytes, int length) {
    MessageDigest digest = Sha256.newDigest();
    digest.update(bytes, 0, length);
    return digest.digest();
  }
}
