package org.cityvision.models.candidate;

/**
 * Receives a candidate's progress: named stages, each with a number of steps. Called on the
 * training thread; implementations must be quick (record a number, not write to a store on every
 * step).
 */
public interface CandidateProgress {
  CandidateProgress NONE =
      new CandidateProgress() {
        @Override
        public void stage(String name, int steps) {}

        @Override
        public void advance(int done) {}
      };

  /**
   * A new stage starts ({@code stored features}, {@code features}, {@code head}, {@code fine-tune},
   * {@code evaluate}, {@code save}).
   */
  void stage(String name, int steps);

  /** {@code done} of the current stage's steps are done. */
  void advance(int done);

  /**
   * Where the verdicts' features came from: {@code stored} read from the results kept when their
   * frames were classified, {@code computed} by a forward pass over their images. Told once, after
   * the features stage.
   */
  default void featureSources(int stored, int computed) {}
}
