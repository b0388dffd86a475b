package org.cityvision.core.batch;

/** This node runs as many batch jobs as it may; retry later or on another node (HTTP 503). */
public final class BatchBusyException extends BatchException {
  private static final long serialVersionUID = 1L;

  public BatchBusyException(String message) {
    super(message);
  }
}
