package org.cityvision.core.storage;

/** The state of a batch job. */
public enum JobStatus {
  RUNNING,
  DONE,
  FAILED,
  CANCELLED
}
