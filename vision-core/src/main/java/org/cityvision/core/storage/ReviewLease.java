package org.cityvision.core.storage;

import java.time.Instant;
import java.util.Objects;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;

/**
 * One generation of a review lease: {@code holder} reviews the open flag of {@code frameId} until
 * {@code expiresAt}, and other reviewers' queue pages leave it out until then ({@link
 * FrameStore#leaseFlag}).
 *
 * @param generation 1 for the frame's first lease, +1 per claim, renewal or release; the unit of
 *     the conditional write that lets one reviewer win a frame
 * @param holder the reviewer (API key name) holding it
 * @param released {@code true} when the holder let it go before it expired
 */
public record ReviewLease(
    String frameId, long generation, String holder, Instant expiresAt, boolean released) {
  public ReviewLease {
    FrameId.parse(frameId);
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be at least 1, got " + generation);
    }
    Names.requireDottedSegment("holder", holder);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** Whether someone other than {@code reviewer} holds the frame at {@code now}. */
  public boolean heldByOther(String reviewer, Instant now) {
    return !released && !holder.equals(reviewer) && expiresAt.isAfter(now);
  }
}
