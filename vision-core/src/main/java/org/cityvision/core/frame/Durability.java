package org.cityvision.core.frame;

/** Where an accepted write is durable when the call returns. */
public enum Durability {
  /** In MinIO. */
  STORED,
  /** Fsynced in the local spool; the flusher delivers it to MinIO later. */
  SPOOLED
}
