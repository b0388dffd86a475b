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
   * A new stage starts ({@code features}, {@code head}, {@code fine-tune}, {@code evaluate}, {@code
   * save}).
   */
  void stage(String name, int steps);

  /** {@code done} of the current stage's steps are done. */
  void advance(int done);
}
