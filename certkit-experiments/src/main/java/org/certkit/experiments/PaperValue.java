package org.certkit.experiments;

/**
 * A number a paper states for one of an experiment's headline keys, so reports can put the
 * measured value next to it.
 *
 * @param value the paper's number, in the headline's unit
 * @param tolerance how far a measurement may lie from {@code value} and still agree (the paper's
 *     rounding, or its stated spread)
 * @param source where the paper states it, such as "Table 1" or "Section 3.2"
 */
public record PaperValue(double value, double tolerance, String source) {

  /** Checks that the tolerance is a non-negative number. */
  public PaperValue {
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("tolerance must be >= 0, was " + tolerance);
    }
  }

  /** Whether {@code measured} lies within the tolerance of the paper's value. */
  public boolean agrees(double measured) {
    return Math.abs(measured - value) <= tolerance;
  }
}
