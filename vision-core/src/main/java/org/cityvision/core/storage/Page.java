package org.cityvision.core.storage;

import java.util.List;

/**
 * One page of a listing.
 *
 * @param items at most the limit asked for; may be fewer (even none) while {@code nextCursor} is
 *     set, when a filtered listing stopped at its scan bound
 * @param nextCursor opaque; pass it back to continue, {@code null} at the end
 */
public record Page<T>(List<T> items, String nextCursor) {
  public Page {
    items = List.copyOf(items);
  }

  public boolean hasMore() {
    return nextCursor != null;
  }
}
