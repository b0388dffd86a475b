package org.cityvision.core.batch;

/** What happened to one frame in a batch job. */
public enum Outcome {
  /** Classified now; its result (and flag, when asked) is stored. */
  CLASSIFIED,
  /** It already had a result of this model version: nothing written. */
  SKIPPED,
  /** It could not be classified; the job goes on. */
  FAILED
}
