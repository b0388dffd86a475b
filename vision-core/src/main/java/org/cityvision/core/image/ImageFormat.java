package org.cityvision.core.image;

/** The image formats CityVision accepts, identified by magic bytes and never by a declared type. */
public enum ImageFormat {
  JPEG("image/jpeg"),
  PNG("image/png"),
  WEBP("image/webp");

  private final String mediaType;

  ImageFormat(String mediaType) {
    this.mediaType = mediaType;
  }

  /** The IANA media type, e.g. {@code image/jpeg}. */
  public String mediaType() {
    return mediaType;
  }
}
