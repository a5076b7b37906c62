package org.certkit.io.vnnlib;

import java.util.List;

/**
 * A conjunction of linear output constraints: the outputs satisfy the clause when they satisfy
 * every constraint. A clause without constraints holds for all outputs.
 *
 * @param constraints the constraints, all over the same number of outputs
 */
public record OutputClause(List<OutputConstraint> constraints) {

  /** Copies the list and checks that the constraints agree on the number of outputs. */
  public OutputClause {
    constraints = List.copyOf(constraints);
    if (constraints.stream().mapToInt(OutputConstraint::dimension).distinct().count() > 1) {
      throw new IllegalArgumentException("constraints of a clause over different numbers of"
          + " outputs");
    }
  }

  /**
   * Whether {@code y} satisfies every constraint, in exact arithmetic.
   *
   * @param y one value per output, not modified
   * @see OutputConstraint#holds(double[])
   */
  public boolean holds(double[] y) {
    for (OutputConstraint constraint : constraints) {
      if (!constraint.holds(y)) {
        return false;
      }
    }
    return true;
  }
}
