package org.certkit.milp;

import java.util.List;

/**
 * Lower and upper MILP bounds of every output (logit) of a network over one input box.
 *
 * @param lower one lower bound per output, in output order
 * @param upper one upper bound per output, in output order
 * @param unstableRelus ReLUs whose interval pre-activation bounds straddle 0, each one binary
 *     variable of the encoding: the measure of how hard the problem is
 */
public record OutputBounds(List<MilpBound> lower, List<MilpBound> upper, int unstableRelus) {

  /** Copies the lists and checks that they have the same length. */
  public OutputBounds {
    lower = List.copyOf(lower);
    upper = List.copyOf(upper);
    if (lower.size() != upper.size()) {
      throw new IllegalArgumentException("need as many lower as upper bounds, got "
          + lower.size() + " and " + upper.size());
    }
  }

  /** Whether every bound is {@link MilpBound.Optimal}. */
  public boolean allOptimal() {
    return lower.stream().allMatch(b -> b instanceof MilpBound.Optimal)
        && upper.stream().allMatch(b -> b instanceof MilpBound.Optimal);
  }
}
