package org.cityvision.core.classify;

import org.cityvision.core.review.FlagRecord;

/**
 * Hears of every flag {@link ClassifiedFrames} creates, from live ingest and batch jobs alike:
 * webhooks, exports, metrics.
 *
 * <h2>Obligations</h2>
 *
 * Called on the writing thread (an I/O worker or a batch thread) right after the flag and the
 * result are stored: it must return at once, never block and never throw; an implementation queues
 * its work and drops (and counts) what does not fit.
 */
@FunctionalInterface
public interface FlagListener {
  /** Hears nothing: for writers outside a serving node (the command line, Spark executors). */
  FlagListener NONE = flag -> {};

  /** A frame was put on the review queue; {@code flag} is its first revision. */
  void flagCreated(FlagRecord flag);
}
