package org.cityvision.datasets.split;

/** The three parts of a dataset. */
public enum Split {
  TRAIN,
  VAL,
  TEST
}
