package org.certkit.spec;

import ai.djl.ndarray.NDArray;

/**
 * What must hold of a network's outputs {@code y} (its logits, {@code K} of them) on an
 * {@link InputSet}: every row {@code s} of a matrix of linear constraints, {@code (C y + d)_s > 0}.
 * A bound domain answers with lower bounds of every row, {@code [N, S]}; the property is proven
 * when all of them are positive.
 */
public sealed interface Specification {

  /** Number of rows {@code S} for a network with {@code classes} outputs. */
  int rows(int classes);

  /**
   * Robustness of a labelled class: the rows are the margins {@code y_t - y_k} for every class
   * {@code k}, {@code S = K}; the row of the label itself is identically 0 and is not part of the
   * property. Domains may merge the last layer into these rows (last-layer elision).
   *
   * @param labels int64 {@code [N]}, the class {@code t} of each example
   */
  record Margins(NDArray labels) implements Specification {

    @Override
    public int rows(int classes) {
      return classes;
    }
  }

  /**
   * Any matrix of linear output constraints, as VNNLIB properties give them.
   *
   * @param matrix {@code C}, {@code [N, S, K]}
   * @param offset {@code d}, {@code [N, S]}, same type as {@code matrix}
   */
  record LinearConstraints(NDArray matrix, NDArray offset) implements Specification {

    /** Validates shapes. */
    public LinearConstraints {
      if (matrix.getShape().dimension() != 3 || offset.getShape().dimension() != 2
          || matrix.getShape().get(0) != offset.getShape().get(0)
          || matrix.getShape().get(1) != offset.getShape().get(1)) {
        throw new IllegalArgumentException("constraints need C [N, S, K] and d [N, S], got "
            + matrix.getShape() + " and " + offset.getShape());
      }
    }

    @Override
    public int rows(int classes) {
      if (matrix.getShape().get(2) != classes) {
        throw new IllegalArgumentException("constraints over " + matrix.getShape().get(2)
            + " outputs for a network with " + classes);
      }
      return (int) matrix.getShape().get(1);
    }

    /**
     * The constraints of a single example ({@code N = 1}) repeated for {@code n} examples, as
     * copies owned by {@code scope}.
     */
    public LinearConstraints repeated(int n, ai.djl.ndarray.NDManager scope) {
      NDArray c = matrix.broadcast(new ai.djl.ndarray.types.Shape(n).addAll(
          matrix.getShape().slice(1))).duplicate();
      NDArray d = offset.broadcast(new ai.djl.ndarray.types.Shape(n).addAll(
          offset.getShape().slice(1))).duplicate();
      c.attach(scope);
      d.attach(scope);
      return new LinearConstraints(c, d);
    }
  }
}
