package org.cityvision.models.training;

/** Hears how a training run goes. Called from the training thread only. */
public interface TrainingProgress {
  /** Silence. */
  TrainingProgress NONE = new TrainingProgress() {};

  /** A stage begins ({@code features}, {@code head}, {@code fine-tune}, {@code evaluate}...). */
  default void stage(String name, long total) {}

  /** Work done within the current stage, with a short status text. */
  default void advance(long done, String status) {}

  /** An epoch ended. */
  default void epoch(EpochRecord record) {}

  /** A line of information worth keeping in the log. */
  default void note(String message) {}
}
