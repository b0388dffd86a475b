package org.cityvision.serving.inference;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the requests one model has in flight (decoding, queued or running), so that overload is
 * refused at the door in microseconds instead of growing the decode executor's unbounded queue.
 * Thread-safe, lock-free.
 */
final class AdmissionGate {
  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();

  AdmissionGate(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, got " + limit);
    }
    this.limit = limit;
  }

  boolean tryEnter() {
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

  void leave() {
    inFlight.decrementAndGet();
  }

  int inFlight() {
    return inFlight.get();
  }
}
