package org.certkit.certify;

import java.time.Duration;

/** The answer of a certifier or verifier for one input region and specification. */
public sealed interface Verdict {

  /** Proven: the specification holds on every point of the region (exact arithmetic). */
  record Certified() implements Verdict {}

  /**
   * Disproven by a point of the region where the specification fails, checked by evaluating the
   * network on it.
   *
   * @param input the counterexample, flattened
   * @param output the network's outputs on it, flattened
   */
  record Falsified(double[] input, double[] output) implements Verdict {

    /** Copies the arrays. */
    public Falsified {
      input = input.clone();
      output = output.clone();
    }

    @Override
    public double[] input() {
      return input.clone();
    }

    @Override
    public double[] output() {
      return output.clone();
    }
  }

  /**
   * Neither proven nor disproven; the specification may or may not hold.
   *
   * @param reason what stood in the way, such as the row whose bound was not positive
   */
  record Unknown(String reason) implements Verdict {}

  /**
   * The time limit ended the search before an answer.
   *
   * @param limit the limit that was reached
   */
  record Timeout(Duration limit) implements Verdict {}

  /** The shared proven answer. */
  Verdict CERTIFIED = new Certified();

  /** Whether this is {@link Certified}. */
  default boolean isCertified() {
    return this instanceof Certified;
  }
}
