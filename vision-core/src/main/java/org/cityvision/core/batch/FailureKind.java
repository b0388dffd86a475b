package org.cityvision.core.batch;

/** Why a frame failed, as counted in a job's state. */
public enum FailureKind {
  /** The bytes are not an image we accept: corrupt, truncated, unsupported or too large. */
  UNREADABLE_IMAGE,
  /** The stored bytes do not match the checksum written with them. */
  CORRUPT_OBJECT,
  /** Listed, then gone before it was read (retention, deletion). */
  MISSING_OBJECT,
  /** The classifier kept refusing work for longer than the job's overload timeout. */
  OVERLOADED,
  /** The listed key is not a frame this system wrote (its name is not a frame id). */
  INVALID_KEY,
  /** Inference itself failed. */
  INFERENCE_ERROR
}
