package org.cityvision.serving.inference;

/**
 * A known task whose model is not loaded on this node (the API answers 503 {@code
 * model_unavailable} with {@code Retry-After}: another node may serve it).
 */
public final class ModelUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelUnavailableException(String message) {
    super(message);
  }
}
