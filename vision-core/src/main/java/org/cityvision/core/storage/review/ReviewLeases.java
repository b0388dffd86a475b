package org.cityvision.core.storage.review;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.cityvision.core.cache.BoundedMap;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ReviewLease;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.bucket.DurableBucket;

/**
 * Review leases ({@link FrameStore#leaseFlag}): per frame a dense chain of immutable generations
 * {@code system/review-leases/{frameId}/{inverted generation}}, each created with {@code
 * If-None-Match: *}, so that of two reviewers claiming a frame exactly one creates the next
 * generation.
 *
 * <p>The chain is never shortened while its frame exists (retention deletes it with the frame),
 * which makes two claims possible with one request and no read:
 *
 * <ul>
 *   <li>a frame this node knows nothing of is claimed by creating generation 1: the create succeeds
 *       only when no lease was ever taken on the frame;
 *   <li>a frame whose generation {@code g} this node wrote or read, and which {@code g} does not
 *       reserve for someone else, is claimed by creating {@code g + 1}: the create succeeds only
 *       when {@code g} is still the newest generation, so the decision taken on {@code g} holds.
 * </ul>
 *
 * When that create is refused, the claim reads the newest generation (a listing and a read) and
 * decides on it, as every claim of a frame held by another reviewer does. A lease is one small
 * object per claim, renewal or release; a frame under review collects a few dozen.
 *
 * <p>Owned by the {@link ReviewQueueStore}. Thread-safe.
 */
final class ReviewLeases {
  /** Generations this node knows, per frame; bounded, least recently used dropped first. */
  private static final int KNOWN = 20_000;

  private static final int ATTEMPTS = 4;

  private final DurableBucket bucket;
  private final Clock clock;
  private final BoundedMap<String, ReviewLease> known = new BoundedMap<>(KNOWN);

  ReviewLeases(DurableBucket bucket, Clock clock) {
    this.bucket = bucket;
    this.clock = clock;
  }

  Optional<ReviewLease> lease(String frameId, String holder, Duration ttl) throws StorageException {
    FrameId.parse(frameId);
    Names.requireDottedSegment("holder", holder);
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("a review lease lasts 1 s .. 1 h, got " + ttl);
    }
    boolean read = false;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Instant now = clock.instant();
      Optional<ReviewLease> head = read ? head(frameId) : Optional.ofNullable(known(frameId));
      if (head.isPresent() && head.get().heldByOther(holder, now)) {
        if (read) {
          return Optional.empty();
        }
        // What this node saw may be old (released, or renewed by nobody): decide on the newest.
        read = true;
        continue;
      }
      long generation = head.map(ReviewLease::generation).orElse(0L) + 1;
      ReviewLease next = new ReviewLease(frameId, generation, holder, now.plus(ttl), false);
      if (create(next)) {
        return Optional.of(next);
      }
      // Someone claimed, renewed or released it since the generation decided on: read the newest.
      read = true;
    }
    return Optional.empty();
  }

  boolean release(String frameId, String holder) throws StorageException {
    FrameId.parse(frameId);
    ReviewLease seen = known(frameId);
    if (seen != null && heldBy(seen, holder) && create(releasing(seen))) {
      return true;
    }
    Optional<ReviewLease> head = head(frameId);
    // A refused create: the holder renewed or released it at the same moment (another tab).
    return head.isPresent() && heldBy(head.get(), holder) && create(releasing(head.get()));
  }

  private boolean heldBy(ReviewLease lease, String holder) {
    return !lease.released()
        && lease.holder().equals(holder)
        && lease.expiresAt().isAfter(clock.instant());
  }

  private ReviewLease releasing(ReviewLease lease) {
    return new ReviewLease(
        lease.frameId(), lease.generation() + 1, lease.holder(), clock.instant(), true);
  }

  /** The newest readable generation of a frame's lease, remembered for the next claim. */
  Optional<ReviewLease> head(String frameId) throws StorageException {
    Optional<ReviewLease> head =
        bucket.newest(StorageKeys.reviewLeasePrefix(frameId), ReviewLease.class);
    head.ifPresent(this::remember);
    return head;
  }

  /** Creates {@code next}'s generation; {@code false} when it exists already. */
  private boolean create(ReviewLease next) throws StorageException {
    try {
      bucket.put(
          DurableBucket.json(
              StorageKeys.reviewLease(next.frameId(), next.generation()), next, true));
    } catch (ConflictException e) {
      forget(next.frameId());
      return false;
    }
    remember(next);
    return true;
  }

  private synchronized ReviewLease known(String frameId) {
    return known.get(frameId);
  }

  private synchronized void remember(ReviewLease lease) {
    ReviewLease had = known.get(lease.frameId());
    if (had == null || had.generation() < lease.generation()) {
      known.put(lease.frameId(), lease);
    }
  }

  private synchronized void forget(String frameId) {
    known.remove(frameId);
  }
}
