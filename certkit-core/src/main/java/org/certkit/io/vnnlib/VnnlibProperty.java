package org.certkit.io.vnnlib;

import java.util.List;

/**
 * A VNNLIB property: the unsafe region of a network with {@code inputs} inputs {@code X_i} and
 * {@code outputs} outputs {@code Y_j}, as a union of {@link Disjunct}s, each a box of inputs with
 * clauses on the outputs. The property is "sat" (violated) if some input in some disjunct's box
 * has outputs that satisfy one of its clauses, and "unsat" (verified) if none has. Without
 * disjuncts it is unsat.
 *
 * @param inputs number of inputs, at least 1
 * @param outputs number of outputs, at least 1
 * @param disjuncts the parts of the unsafe region, no two with the same box
 */
public record VnnlibProperty(int inputs, int outputs, List<Disjunct> disjuncts) {

  /** Copies the list and checks every disjunct's dimensions. */
  public VnnlibProperty {
    disjuncts = List.copyOf(disjuncts);
    if (inputs < 1 || outputs < 1) {
      throw new IllegalArgumentException("a property needs inputs and outputs, got " + inputs
          + " and " + outputs);
    }
    for (Disjunct disjunct : disjuncts) {
      if (disjunct.box().dimension() != inputs) {
        throw new IllegalArgumentException("a disjunct's box has " + disjunct.box().dimension()
            + " inputs, the property " + inputs);
      }
      for (OutputClause clause : disjunct.unsafe()) {
        for (OutputConstraint constraint : clause.constraints()) {
          if (constraint.dimension() != outputs) {
            throw new IllegalArgumentException("an output constraint over "
                + constraint.dimension() + " outputs, the property has " + outputs);
          }
        }
      }
    }
  }

  /**
   * Whether {@code (x, y)} is a counterexample: it lies in the unsafe region, in exact
   * arithmetic. The caller checks that {@code y} is the network's output on {@code x}.
   *
   * @param x the input, {@link #inputs()} values, not modified
   * @param y the outputs, {@link #outputs()} values, not modified
   */
  public boolean isCounterexample(double[] x, double[] y) {
    if (x.length != inputs || y.length != outputs) {
      throw new IllegalArgumentException("a counterexample needs " + inputs + " inputs and "
          + outputs + " outputs, got " + x.length + " and " + y.length);
    }
    for (Disjunct disjunct : disjuncts) {
      if (disjunct.contains(x, y)) {
        return true;
      }
    }
    return false;
  }
}
