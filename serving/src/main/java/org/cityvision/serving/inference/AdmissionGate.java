package org.cityvision.serving.inference;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the requests in flight at one stage (a model's decoding, queue and forward pass; camera
 * frames from admission to their answer), so that overload is refused at the door in microseconds
 * instead of growing an executor's unbounded queue. Thread-safe, lock-free.
 */
public final class AdmissionGate {
  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();

  public AdmissionGate(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, got " + limit);
    }
    this.limit = limit;
  }

  /** Enters if fewer than the limit are in; {@code false} (and nothing held) otherwise. */
  public boolean tryEnter() {
    while (true) {
      int n = inFlight.get();
      if (n >= limit) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Leaves after a successful {@link #tryEnter()}. */
  public void leave() {
    inFlight.decrementAndGet();
  }

  /**
   * Whether a {@link #tryEnter()} now would fail: a cheap look for refusing a request before any
   * work (reading its body) is spent on it. Another thread may enter or leave just after.
   */
  public boolean full() {
    return inFlight.get() >= limit;
  }

  /** Requests in now. */
  public int inFlight() {
    return inFlight.get();
  }
}
