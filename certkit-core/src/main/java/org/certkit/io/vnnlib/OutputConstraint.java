package org.certkit.io.vnnlib;

import java.math.BigDecimal;
import java.util.List;

/**
 * One linear constraint on the outputs of a network, {@code sum_j a_j Y_j + b >= 0}, or
 * {@code > 0} when strict, with the exact decimal coefficients of the VNNLIB file. Constraints
 * are equal when their coefficients are equal in value (the scales are normalised).
 *
 * @param coefficients {@code a_j}, one per output
 * @param offset {@code b}
 * @param strict whether the constraint is {@code > 0} rather than {@code >= 0}
 */
public record OutputConstraint(List<BigDecimal> coefficients, BigDecimal offset, boolean strict) {

  /** Normalises scales and copies the list. */
  public OutputConstraint {
    coefficients = coefficients.stream().map(BigDecimal::stripTrailingZeros).toList();
    offset = offset.stripTrailingZeros();
    if (coefficients.isEmpty()) {
      throw new IllegalArgumentException("an output constraint needs at least one output");
    }
  }

  /**
   * The constraint in doubles, each coefficient rounded to the nearest double.
   *
   * @param coefficients {@code a_j} rounded to nearest
   * @param offset {@code b} rounded to nearest
   * @param strict as the exact constraint
   * @param exact whether every coefficient and the offset is exactly a double, so that this is
   *     the same constraint
   */
  public record DoubleForm(double[] coefficients, double offset, boolean strict, boolean exact) {

    /** Copies the array. */
    public DoubleForm {
      coefficients = coefficients.clone();
    }

    @Override
    public double[] coefficients() {
      return coefficients.clone();
    }
  }

  /** Number of outputs. */
  public int dimension() {
    return coefficients.size();
  }

  /** The constraint with coefficients and offset rounded to the nearest doubles. */
  public DoubleForm toDoubles() {
    boolean exact = ExactDoubles.isDouble(offset);
    double[] a = new double[coefficients.size()];
    for (int j = 0; j < a.length; j++) {
      a[j] = coefficients.get(j).doubleValue();
      exact &= ExactDoubles.isDouble(coefficients.get(j));
    }
    return new DoubleForm(a, offset.doubleValue(), strict, exact);
  }

  /**
   * Whether the outputs {@code y} satisfy the constraint, evaluated in exact decimal arithmetic
   * (strictly for a strict constraint). An output that is NaN where its coefficient is not 0 fails
   * the constraint; infinite outputs count by the sign of their terms, and fail it when terms of
   * both signs are infinite.
   *
   * @param y one value per output, not modified
   * @throws IllegalArgumentException if {@code y} has not {@link #dimension()} entries
   */
  public boolean holds(double[] y) {
    if (y.length != dimension()) {
      throw new IllegalArgumentException("outputs have " + y.length + " entries for a constraint"
          + " over " + dimension());
    }
    BigDecimal sum = offset;
    boolean plusInfinity = false;
    boolean minusInfinity = false;
    for (int j = 0; j < y.length; j++) {
      BigDecimal a = coefficients.get(j);
      if (a.signum() == 0) {
        continue;
      }
      if (Double.isNaN(y[j])) {
        return false;
      }
      if (Double.isInfinite(y[j])) {
        if ((y[j] > 0) == (a.signum() > 0)) {
          plusInfinity = true;
        } else {
          minusInfinity = true;
        }
        continue;
      }
      sum = sum.add(a.multiply(new BigDecimal(y[j])));
    }
    if (plusInfinity || minusInfinity) {
      return plusInfinity && !minusInfinity;
    }
    return strict ? sum.signum() > 0 : sum.signum() >= 0;
  }
}
