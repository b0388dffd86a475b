package org.cityvision.core.batch;

/** There is no batch job with that id (HTTP 404). */
public final class UnknownJobException extends BatchException {
  private static final long serialVersionUID = 1L;

  public UnknownJobException(String message) {
    super(message);
  }
}
