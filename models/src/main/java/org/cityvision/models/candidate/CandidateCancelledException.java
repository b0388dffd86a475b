package org.cityvision.models.candidate;

/** The cancellation check answered true: training stopped and the partial output was removed. */
public final class CandidateCancelledException extends CandidateException {
  public CandidateCancelledException(String stage) {
    super("candidate training cancelled during " + stage);
  }
}
