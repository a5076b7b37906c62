package org.certkit.bounds;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import org.certkit.domain.Box;

/**
 * Output intervals {@code [lower_j, upper_j]} of one example, one per output coordinate: the
 * plain-Java form in which bounds of different origin (expected, IBP, sampled) are compared.
 *
 * @param lower lower ends, one per output
 * @param upper upper ends, as many, each at least its lower end
 */
public record Intervals(double[] lower, double[] upper) {

  /** Checks that the ends pair up, are not NaN and are ordered; copies both arrays. */
  public Intervals {
    if (lower.length != upper.length || lower.length == 0) {
      throw new IllegalArgumentException("intervals need as many lower as upper ends (> 0), got "
          + lower.length + " and " + upper.length);
    }
    lower = lower.clone();
    upper = upper.clone();
    for (int j = 0; j < lower.length; j++) {
      if (!(lower[j] <= upper[j])) {
        throw new IllegalArgumentException("interval " + j + " is [" + lower[j] + ", "
            + upper[j] + "]; need lower <= upper");
      }
    }
  }

  /**
   * The intervals of a box holding a single example, flattened in row-major order.
   *
   * @param box a box of batch size 1, any shape
   * @throws IllegalArgumentException if the batch size is not 1
   */
  public static Intervals of(Box box) {
    NDArray centre = box.centre();
    if (centre.getShape().get(0) != 1) {
      throw new IllegalArgumentException("need a box of one example, got shape "
          + centre.getShape());
    }
    return new Intervals(box.lower().toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
        .toDoubleArray(), box.upper().toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
        .toDoubleArray());
  }

  /** Number of outputs. */
  public int size() {
    return lower.length;
  }

  /** {@code upper_j - lower_j} for every output. */
  public double[] widths() {
    double[] w = new double[lower.length];
    for (int j = 0; j < w.length; j++) {
      w[j] = upper[j] - lower[j];
    }
    return w;
  }

  @Override
  public double[] lower() {
    return lower.clone();
  }

  @Override
  public double[] upper() {
    return upper.clone();
  }

  /** Lower end of output {@code j}. */
  public double lower(int j) {
    return lower[j];
  }

  /** Upper end of output {@code j}. */
  public double upper(int j) {
    return upper[j];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Intervals other && Arrays.equals(lower, other.lower)
        && Arrays.equals(upper, other.upper);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(lower) + Arrays.hashCode(upper);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Intervals[");
    for (int j = 0; j < lower.length; j++) {
      sb.append(j == 0 ? "" : ", ").append('[').append(lower[j]).append(", ").append(upper[j])
          .append(']');
    }
    return sb.append(']').toString();
  }
}
