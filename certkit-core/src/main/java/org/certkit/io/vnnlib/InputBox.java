package org.certkit.io.vnnlib;

import java.math.BigDecimal;
import java.util.List;

/**
 * The box of inputs of a VNNLIB disjunct, {@code lower_i <= X_i <= upper_i}, with the exact
 * decimal bounds of the file. Boxes are equal when their bounds are equal in value (the scales of
 * the decimals are normalised). A strict input bound of the file ({@code X_i < c}) is kept as the
 * closed bound, a superset: sound for proving a property, not for checking a counterexample that
 * lies on that face.
 *
 * @param lower exact lower bound of every input
 * @param upper exact upper bound of every input, same length, nowhere below {@code lower}
 */
public record InputBox(List<BigDecimal> lower, List<BigDecimal> upper) {

  /** Validates lengths and order, normalises scales and copies the lists. */
  public InputBox {
    lower = lower.stream().map(BigDecimal::stripTrailingZeros).toList();
    upper = upper.stream().map(BigDecimal::stripTrailingZeros).toList();
    if (lower.size() != upper.size()) {
      throw new IllegalArgumentException("box bounds differ in length: " + lower.size() + " and "
          + upper.size());
    }
    if (lower.isEmpty()) {
      throw new IllegalArgumentException("a box needs at least one input");
    }
    for (int i = 0; i < lower.size(); i++) {
      if (lower.get(i).compareTo(upper.get(i)) > 0) {
        throw new IllegalArgumentException("X_" + i + " has lower bound " + lower.get(i)
            + " above its upper bound " + upper.get(i));
      }
    }
  }

  /** Number of inputs. */
  public int dimension() {
    return lower.size();
  }

  /** The lower corner rounded down to doubles: each entry at most the exact bound. */
  public double[] lowerOutward() {
    return lower.stream().mapToDouble(ExactDoubles::down).toArray();
  }

  /** The upper corner rounded up to doubles: each entry at least the exact bound. */
  public double[] upperOutward() {
    return upper.stream().mapToDouble(ExactDoubles::up).toArray();
  }

  /**
   * Whether the point {@code x} lies in the exact box, compared in exact decimal arithmetic. NaN
   * and infinite entries lie outside.
   *
   * @param x one value per input, not modified
   * @throws IllegalArgumentException if {@code x} has not {@link #dimension()} entries
   */
  public boolean contains(double[] x) {
    if (x.length != dimension()) {
      throw new IllegalArgumentException("point has " + x.length + " entries for a box of "
          + dimension() + " inputs");
    }
    for (int i = 0; i < x.length; i++) {
      if (!Double.isFinite(x[i])) {
        return false;
      }
      BigDecimal value = new BigDecimal(x[i]);
      if (value.compareTo(lower.get(i)) < 0 || value.compareTo(upper.get(i)) > 0) {
        return false;
      }
    }
    return true;
  }
}
