package org.cityvision.core.review;

/** Orders of the review queue; each has its own index so that a page costs one listing. */
public enum FlagOrder {
  NEWEST_FIRST,
  LEAST_CONFIDENT_FIRST
}
