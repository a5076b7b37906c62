package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import org.certkit.internal.Constants;

/**
 * Directed conversions between float64 and float32 for the sound (OUTWARD) passes that compute in
 * float32 from float64 boxes, and Higham's {@code gamma_n} for any unit roundoff. A converted
 * value keeps its direction: a lower bound stays at most, an upper bound at least, the float64
 * value; a box converted this way contains the float64 box. docs/soundness.md has the argument.
 */
final class Precision {

  /**
   * Relative nudge of a value whose float32 rounding went the wrong way: two float32 units of
   * roundoff, so the nudged value rounds to nearest on the right side.
   */
  private static final double NUDGE = 0x1p-22;
  /** Absolute nudge: two float32 subnormal units, for values near zero. */
  private static final double NUDGE_TINY = 0x1p-148;

  private Precision() {}

  /**
   * Higham's {@code gamma_n = n u / (1 - n u)} in units of {@code u}: {@code n / (1 - n u)}.
   *
   * @throws IllegalArgumentException when {@code n u >= 1/2}, where the bound is no longer
   *     useful (a sum of that many terms in that precision)
   */
  static double gammaUlps(int n, double unit) {
    double nu = n * unit;
    if (!(nu < 0.5)) {
      throw new IllegalArgumentException("a sum of " + n + " terms is too long for a rounding"
          + " error bound with unit roundoff " + unit);
    }
    return n / (1 - nu);
  }

  /** Values of {@code type} at least {@code x} (float64), each; {@code x} itself for float64. */
  static NDArray up(NDArray x, DataType type) {
    return directed(x, type, true);
  }

  /** Values of {@code type} at most {@code x} (float64), each; {@code x} itself for float64. */
  static NDArray down(NDArray x, DataType type) {
    return directed(x, type, false);
  }

  private static NDArray directed(NDArray x, DataType type, boolean upward) {
    if (type == DataType.FLOAT64) {
      return x.toType(type, true);
    }
    NDArray wide = x.toType(DataType.FLOAT64, false);
    NDArray nearest = wide.toType(type, false);
    NDArray back = nearest.toType(DataType.FLOAT64, false);
    NDArray right = upward ? back.gte(wide) : back.lte(wide);
    NDArray shift = wide.abs().mul(Constants.scalar(wide, NUDGE))
        .add(Constants.scalar(wide, NUDGE_TINY));
    NDArray nudged = (upward ? wide.add(shift) : wide.sub(shift)).toType(type, false);
    return NDArrays.where(right, nearest, nudged);
  }

  /**
   * A box of {@code type} that contains {@code box} (any float type): the centre rounded to
   * nearest, the radius grown by the centre's move and rounded up.
   */
  static Box enclosing(Box box, DataType type) {
    if (box.centre().getDataType() == type && box.radius().getDataType() == type) {
      return box;
    }
    NDArray c = box.centre().toType(DataType.FLOAT64, false);
    NDArray centre = c.toType(type, false);
    // c - fl(c) is exact (Sterbenz); r + |c - fl(c)| rounds up by at most one float64 unit,
    // which the nudge of up() covers.
    NDArray moved = c.sub(centre.toType(DataType.FLOAT64, false)).abs();
    NDArray grown = box.radius().toType(DataType.FLOAT64, false).add(moved);
    NDArray exact = moved.eq(Constants.scalar(moved, 0));
    NDArray radius = up(NDArrays.where(exact, box.radius().toType(DataType.FLOAT64, false),
        grown.add(grown.mul(Constants.scalar(grown, 0x1p-50)))), type);
    return new Box(centre, radius);
  }
}
