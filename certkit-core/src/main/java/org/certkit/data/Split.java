package org.certkit.data;

/** One of the two standard partitions of a data set. */
public enum Split {
  TRAIN,
  TEST
}
