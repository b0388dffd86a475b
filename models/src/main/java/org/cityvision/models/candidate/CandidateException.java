package org.cityvision.models.candidate;

import org.cityvision.models.ModelRunException;

/** A candidate cannot be trained or evaluated; the message names the input or step that failed. */
public class CandidateException extends ModelRunException {
  public CandidateException(String message) {
    super(message);
  }

  public CandidateException(String message, Throwable cause) {
    super(message, cause);
  }
}
