package org.certkit.io.vnnlib;

import java.util.List;

/**
 * One part of the unsafe region of a VNNLIB property: it is reached (the property is "sat") if
 * some input {@code x} in the box has outputs {@code y = net(x)} that satisfy at least one of the
 * clauses.
 *
 * @param box the inputs
 * @param unsafe the clauses, at least one; the disjunct is reached when any of them holds
 */
public record Disjunct(InputBox box, List<OutputClause> unsafe) {

  /** Copies the list and checks that it is not empty. */
  public Disjunct {
    unsafe = List.copyOf(unsafe);
    if (unsafe.isEmpty()) {
      throw new IllegalArgumentException("a disjunct needs at least one output clause");
    }
  }

  /**
   * Whether the pair {@code (x, y)} lies in this part of the unsafe region, in exact arithmetic.
   *
   * @param x the input, not modified
   * @param y the network's outputs on {@code x}, not modified
   */
  public boolean contains(double[] x, double[] y) {
    if (!box.contains(x)) {
      return false;
    }
    for (OutputClause clause : unsafe) {
      if (clause.holds(y)) {
        return true;
      }
    }
    return false;
  }
}
