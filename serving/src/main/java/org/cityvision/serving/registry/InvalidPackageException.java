package org.cityvision.serving.registry;

import org.cityvision.core.VisionException;

/** A version that no node could serve: corrupt, incomplete, or not the model it is stored as. */
public final class InvalidPackageException extends VisionException {
  private static final long serialVersionUID = 1L;

  public InvalidPackageException(String message, Throwable cause) {
    super(message, cause);
  }
}
