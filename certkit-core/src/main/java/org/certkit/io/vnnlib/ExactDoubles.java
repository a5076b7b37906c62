package org.certkit.io.vnnlib;

import java.math.BigDecimal;

/**
 * Conversions between exact decimals and doubles, rounded in a stated direction: for VNNLIB
 * numbers, and for any exact result that must become a sound double bound.
 */
public final class ExactDoubles {

  private ExactDoubles() {}

  /** The largest double at most {@code value} (minus infinity below the finite doubles). */
  public static double down(BigDecimal value) {
    double d = value.doubleValue();
    if (d == Double.POSITIVE_INFINITY) {
      d = Double.MAX_VALUE;
    }
    while (d != Double.NEGATIVE_INFINITY && new BigDecimal(d).compareTo(value) > 0) {
      d = Math.nextDown(d);
    }
    return d;
  }

  /** The smallest double at least {@code value} (plus infinity above the finite doubles). */
  public static double up(BigDecimal value) {
    double d = value.doubleValue();
    if (d == Double.NEGATIVE_INFINITY) {
      d = -Double.MAX_VALUE;
    }
    while (d != Double.POSITIVE_INFINITY && new BigDecimal(d).compareTo(value) < 0) {
      d = Math.nextUp(d);
    }
    return d;
  }

  /** Whether {@code value} is exactly a finite double. */
  static boolean isDouble(BigDecimal value) {
    double d = value.doubleValue();
    return Double.isFinite(d) && new BigDecimal(d).compareTo(value) == 0;
  }

  /** The exact decimal of a finite double, as VNNLIB text that reads back to the same double. */
  static String text(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("VNNLIB numbers are finite, got " + value);
    }
    return new BigDecimal(value).toString();
  }
}
