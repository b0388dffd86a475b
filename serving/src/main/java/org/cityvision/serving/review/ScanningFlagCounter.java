package org.cityvision.serving.review;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.cityvision.core.storage.FlagQuery;
import org.cityvision.core.storage.FlagRecord;
import org.cityvision.core.storage.FlagStatus;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;

/**
 * Counts flags by paging the queue, up to a bound, and keeps each count for a while.
 *
 * <p>Why bounded and cached: {@code listFlags} costs two requests per flag it returns, so an exact
 * count of 10,000 open flags would cost 20,000 requests. Past the bound the page shows "N+".
 * Thread-safe; several threads may count one status at once, the last one wins the cache.
 */
public final class ScanningFlagCounter implements FlagCounter {
  private final FrameStore store;
  private final int bound;
  private final Duration ttl;
  private final Clock clock;
  private final Map<FlagStatus, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(FlagCount count, Instant at) {}

  /**
   * @param bound most flags counted per status, 1..100,000
   * @param ttl how long a count is reused
   */
  public ScanningFlagCounter(FrameStore store, int bound, Duration ttl, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    if (bound < 1 || bound > 100_000) {
      throw new IllegalArgumentException("bound must be in 1..100000, got " + bound);
    }
    this.bound = bound;
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public FlagCount count(FlagStatus status) throws StorageException {
    Instant now = clock.instant();
    Cached cached = cache.get(status);
    if (cached != null && cached.at().plus(ttl).isAfter(now)) {
      return cached.count();
    }
    long n = 0;
    FlagQuery query = FlagQuery.of(status, Math.min(bound + 1, 1000));
    Page<FlagRecord> page;
    do {
      page = store.listFlags(query);
      n += page.items().size();
      query = query.withCursor(page.nextCursor());
    } while (page.hasMore() && n <= bound);
    FlagCount count = n > bound ? new FlagCount(bound, true) : new FlagCount(n, false);
    cache.put(status, new Cached(count, now));
    return count;
  }

  @Override
  public void changed() {
    cache.clear();
  }
}
