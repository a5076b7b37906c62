package org.certkit.tightness.theory;

/**
 * The exact answer of Lemma 3.3 of Mao et al. on whether a two-layer deep linear network
 * {@code W_2 W_1} is propagation invariant (its layer-wise and optimal boxes agree for every
 * input box).
 */
public sealed interface InvarianceVerdict {

  /** Whether the network is propagation invariant. */
  default boolean invariant() {
    return this instanceof Invariant;
  }

  /** Every product {@code W2_ik W1_kj} has, for fixed {@code (i, j)}, one sign over {@code k}. */
  record Invariant() implements InvarianceVerdict {}

  /**
   * A witness against propagation invariance: for output {@code i} and input {@code j} the
   * path through hidden unit {@code positiveHidden} has a positive product
   * {@code W2_ik W1_kj} and the path through {@code negativeHidden} a negative one, so
   * {@code |(W_2 W_1)_ij| < (|W_2| |W_1|)_ij}. Indices are 0-based.
   *
   * @param output the output index {@code i}
   * @param input the input index {@code j}
   * @param positiveHidden a hidden index {@code k} with {@code W2_ik W1_kj > 0}
   * @param negativeHidden a hidden index {@code k'} with {@code W2_ik' W1_k'j < 0}
   */
  record NotInvariant(int output, int input, int positiveHidden, int negativeHidden)
      implements InvarianceVerdict {}
}
