package org.cityvision.core.image;

/** The channel order a model expects. OpenCV decodes to BGR. */
public enum ChannelOrder {
  RGB,
  BGR
}
