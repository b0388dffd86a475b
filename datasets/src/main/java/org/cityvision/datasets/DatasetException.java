package org.cityvision.datasets;

/** A dataset cannot be read or used as asked; the message names the file or value and the rule. */
public class DatasetException extends Exception {
  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
