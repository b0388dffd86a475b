package org.cityvision.core.job;

/** The state of a batch job. */
public enum JobStatus {
  RUNNING,
  DONE,
  FAILED,
  CANCELLED
}
