package org.certkit.certify;

/** The answer of a certifier for one input region and label. */
public enum Verdict {
  /** Proven: every point of the region is classified as the label (exact arithmetic). */
  CERTIFIED,
  /** Not proven; the property may or may not hold. */
  UNKNOWN
}
