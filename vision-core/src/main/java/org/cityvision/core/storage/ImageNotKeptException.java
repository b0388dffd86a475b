package org.cityvision.core.storage;

/**
 * The frame exists, but its image was not kept: a static camera frame stored as its record only
 * ({@code ingest.staticFrames = metadata}), which reused the result of {@link #imageOf()}, whose
 * image shows the same scene. Readers that skip missing frames (batch jobs, exports) skip it too.
 */
public class ImageNotKeptException extends ObjectNotFoundException {
  private static final long serialVersionUID = 1L;

  private final String imageOf;

  public ImageNotKeptException(String frameId, String imageOf) {
    super(
        "frame "
            + frameId
            + " is stored without its image (a static frame): frame "
            + imageOf
            + " shows the same scene");
    this.imageOf = imageOf;
  }

  /** The frame whose image (and result) stands for this one. */
  public String imageOf() {
    return imageOf;
  }
}
