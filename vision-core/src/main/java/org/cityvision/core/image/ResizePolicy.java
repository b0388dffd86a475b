package org.cityvision.core.image;

/** How an image of any aspect ratio becomes the model's fixed input size. */
public enum ResizePolicy {
  /** Resize both sides to the input size; the whole scene is kept, the aspect ratio is not. */
  SQUASH,
  /**
   * Resize the short side to the input size, then cut the centre; the aspect ratio is kept, the
   * edges are lost.
   */
  CENTER_CROP
}
