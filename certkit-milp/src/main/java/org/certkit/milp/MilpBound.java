package org.certkit.milp;

import java.util.Optional;

/**
 * The result of bounding one linear objective {@code c^T y} of a network's output from one side
 * by mixed-integer linear programming: solved to optimality, cut short by the time limit, or
 * unknown.
 *
 * <p>{@link #value()} is a solver bound: within the solver's tolerances and the widening of
 * {@link MilpOptions}, a lower bound does not exceed the true minimum and an upper bound is not
 * below the true maximum. It rests on floating-point solves and is not proven. Only {@link
 * Optimal} claims that it is also attained (within the same tolerances). Switch over the
 * permitted records to tell them apart.
 */
public sealed interface MilpBound permits MilpBound.Optimal, MilpBound.TimedOut, MilpBound.Unknown {

  /** Which side of the objective is bounded. */
  enum Side {
    /** A lower bound: the objective is minimised. */
    LOWER,
    /** An upper bound: the objective is maximised. */
    UPPER
  }

  /**
   * A point of the input box and the objective there: evidence of how far the objective really
   * reaches.
   *
   * @param input the solver's best point, clipped to the input box, in the network's input layout
   *     (row-major {@code C, H, W}); a copy
   * @param value the objective at {@code input}, from the concrete forward pass in float64
   */
  record Incumbent(double[] input, double value) {

    /** Copies the input. */
    public Incumbent {
      input = input.clone();
    }

    /** A copy of the point. */
    @Override
    public double[] input() {
      return input.clone();
    }
  }

  /** The side bounded. */
  Side side();

  /** The solver bound, widened by the tolerance allowance of {@link MilpOptions}. */
  double value();

  /** The best point the solver found, if any. */
  Optional<Incumbent> incumbent();

  /** Wall-clock seconds of the solve. */
  double seconds();

  /**
   * The solver reported optimality: {@code value} is its optimum, widened by the tolerance
   * allowance, and {@code best} attains the optimum up to the solver's tolerances.
   *
   * @param side the side bounded
   * @param value the widened optimum
   * @param best the optimal point
   * @param seconds wall-clock seconds of the solve
   */
  record Optimal(Side side, double value, Incumbent best, double seconds) implements MilpBound {
    @Override
    public Optional<Incumbent> incumbent() {
      return Optional.of(best);
    }
  }

  /**
   * The time limit ended the solve before optimality was reached: {@code value} is the tighter
   * of the solver's dual bound (widened) and the interval (IBP) bound, maybe not attained.
   *
   * @param side the side bounded
   * @param value the bound
   * @param incumbent the best point found before the limit, if any
   * @param seconds wall-clock seconds of the solve
   */
  record TimedOut(Side side, double value, Optional<Incumbent> incumbent, double seconds)
      implements MilpBound {}

  /**
   * The solver gave no usable answer (an error, or infeasibility caused by numerical trouble):
   * {@code value} is the interval (IBP) bound.
   *
   * @param side the side bounded
   * @param value the interval bound
   * @param reason the solver's status
   * @param seconds wall-clock seconds of the solve
   */
  record Unknown(Side side, double value, String reason, double seconds) implements MilpBound {
    @Override
    public Optional<Incumbent> incumbent() {
      return Optional.empty();
    }
  }
}
