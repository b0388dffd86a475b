package org.cityvision.serving.review;

import java.util.List;
import org.cityvision.core.classify.FlagListener;
import org.cityvision.core.review.FlagRecord;

/**
 * Who hears about the review queue changing: webhooks, the Open311 export.
 *
 * <h2>Obligations</h2>
 *
 * Both methods are called from event loops and from ingest: they must return at once, never block
 * and never throw; an implementation queues the work and drops (and counts) what does not fit.
 */
public interface ReviewEvents extends FlagListener {
  /** Hears nothing. */
  ReviewEvents NONE =
      new ReviewEvents() {
        @Override
        public void flagCreated(FlagRecord flag) {}

        @Override
        public void flagReviewed(FlagRecord flag) {}
      };

  /**
   * A frame was put on the review queue (by ingest or a batch job, through {@code
   * ClassifiedFrames}).
   */
  @Override
  void flagCreated(FlagRecord flag);

  /** A reviewer's verdict was stored; {@code flag} is the new revision. */
  void flagReviewed(FlagRecord flag);

  /** Tells each of {@code listeners}, in order. */
  static ReviewEvents all(List<? extends ReviewEvents> listeners) {
    List<ReviewEvents> copy = List.copyOf(listeners);
    return new ReviewEvents() {
      @Override
      public void flagCreated(FlagRecord flag) {
        copy.forEach(l -> l.flagCreated(flag));
      }

      @Override
      public void flagReviewed(FlagRecord flag) {
        copy.forEach(l -> l.flagReviewed(flag));
      }
    };
  }
}
