package org.cityvision.core.storage.bucket;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.spool.SpoolEntry;
import org.cityvision.core.storage.spool.SpoolObject;
import org.cityvision.core.storage.spool.WriteAheadSpool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the thread that delivers spooled entries to MinIO, oldest first, and the store's view of
 * whether MinIO is down. While it is down, writers go straight to the spool instead of waiting for
 * a timeout each; the flusher retries with exponential backoff (20 ms doubling up to the configured
 * maximum) and, with an empty spool, probes MinIO until it answers.
 *
 * <p>Delivery is at-least-once: a crash after a put and before the entry's file is deleted puts the
 * same bytes under the same key again, which changes nothing. Errors other than corruption are
 * retried forever; a corrupt entry is quarantined by the spool and skipped.
 *
 * <p>Owned and closed by {@link DurableBucket}. Thread-safe.
 */
final class SpoolFlusher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolFlusher.class);
  private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What the flusher needs from the store. */
  interface Target {
    void deliver(SpoolObject object) throws StorageException;

    boolean reachable();
  }

  private final WriteAheadSpool spool;
  private final Target target;
  private final long maxBackoffNanos;
  private final Thread thread;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();

  private volatile boolean down;
  private volatile boolean running = true;
  private volatile boolean paused;
  // Guarded by lock: a signal that came while the flusher was busy is not lost.
  private boolean signalled;

  SpoolFlusher(WriteAheadSpool spool, Target target, Duration maxBackoff) {
    this.spool = spool;
    this.target = target;
    this.maxBackoffNanos = Math.max(MIN_BACKOFF_NANOS, maxBackoff.toNanos());
    this.thread = new Thread(this::loop, "cityvision-spool-flusher");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  boolean storeDown() {
    return down;
  }

  void markDown() {
    if (!down) {
      down = true;
      LOG.warn("MinIO unavailable: accepting writes into the spool {}", spool.directory());
    }
    signal();
  }

  /** Wakes the flusher now, after an append. */
  void signal() {
    lock.lock();
    try {
      signalled = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Holds deliveries (tests use it to keep an entry in the spool while they look). */
  void pause(boolean value) {
    paused = value;
    signal();
  }

  private void loop() {
    long backoff = MIN_BACKOFF_NANOS;
    while (running) {
      if (paused) {
        await(IDLE_NANOS);
        continue;
      }
      Optional<SpoolEntry> next = spool.oldest();
      try {
        if (next.isEmpty()) {
          if (!down) {
            await(IDLE_NANOS);
            continue;
          }
          if (target.reachable()) {
            markUp();
            backoff = MIN_BACKOFF_NANOS;
          } else {
            await(backoff);
            backoff = Math.min(backoff * 2, maxBackoffNanos);
          }
          continue;
        }
        SpoolEntry entry = next.get();
        List<SpoolObject> objects = spool.read(entry);
        for (SpoolObject object : objects) {
          target.deliver(object);
        }
        spool.remove(entry);
        markUp();
        backoff = MIN_BACKOFF_NANOS;
      } catch (ChecksumMismatchException e) {
        // The spool has quarantined it; go on with the next entry.
        LOG.error("skipping corrupt spool entry: {}", e.getMessage());
      } catch (StorageException | RuntimeException e) {
        if (!down) {
          down = true;
          LOG.warn("spool delivery failed, retrying with backoff: {}", e.toString());
        }
        await(backoff);
        backoff = Math.min(backoff * 2, maxBackoffNanos);
      }
    }
  }

  private void markUp() {
    if (down) {
      down = false;
      LOG.info("MinIO reachable again; {} spool entries left", spool.items());
    }
  }

  private void await(long nanos) {
    lock.lock();
    try {
      if (running && !signalled) {
        wake.awaitNanos(nanos);
      }
      signalled = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  /** Stops after the entry in progress; what is left stays in the spool for the next open. */
  @Override
  public void close() {
    running = false;
    signal();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
