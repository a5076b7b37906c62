package org.certkit.milp;

/**
 * Options of one MILP bound computation: which solver, how long each solve may take, and how far
 * reported bounds are widened to cover the solver's tolerances.
 *
 * <p>A bound {@code b} from the solver is reported as {@code b - (relativeTolerance |b| +
 * absoluteTolerance)} (lower bounds) or {@code b + (...)} (upper bounds). MILP solvers accept
 * constraint violations up to a feasibility tolerance (about {@code 1e-6} for SCIP and CBC) and
 * integrality violations of the same order, so a solver's optimum is optimal only within those
 * tolerances; the widening makes containment checks meaningful. It is an allowance sized to the
 * solvers' defaults, not a rigorous error bound.
 *
 * <p>The big-M constants of the encoding come from pre-activation bounds: interval bounds, or
 * the tighter bounds of linear ReLU relaxations ({@link PreActivationBounds}). Interval bounds
 * are rounded outward; relaxation bounds are computed in floating point and are an allowance
 * like the widening, not a certified error bound. Tighter ones make fewer ReLUs unstable and the
 * solves faster, and do not change the optimum.
 *
 * @param solver the MILP solver
 * @param timeLimitSeconds wall-clock limit of each solve (one bound of one objective), positive
 * @param relativeTolerance widening relative to the bound's magnitude, at least 0
 * @param absoluteTolerance absolute widening, at least 0
 * @param preActivationBounds where the big-M constants come from
 */
public record MilpOptions(
    Solver solver, double timeLimitSeconds, double relativeTolerance, double absoluteTolerance,
    PreActivationBounds preActivationBounds) {

  /** How the pre-activation bounds of the ReLUs (the big-M constants) are computed. */
  public enum PreActivationBounds {
    /** Interval bound propagation with outward rounding: cheap, loose on deep or trained nets. */
    INTERVAL,
    /**
     * Back-substitution of linear ReLU relaxations (DeepPoly, CROWN), intersected with the
     * interval bounds: a few passes over sparse rows per unstable unit, much tighter on trained
     * networks.
     */
    LINEAR_RELAXATION
  }

  /** A MILP solver bundled with OR-Tools. */
  public enum Solver {
    /** SCIP: the default, usually the fastest on these models. */
    SCIP,
    /** COIN-OR CBC: a fallback when SCIP is unavailable or misbehaves. */
    CBC
  }

  /** Validates the limits and tolerances. */
  public MilpOptions {
    if (solver == null || preActivationBounds == null) {
      throw new IllegalArgumentException("MILP solver and pre-activation bounds must not be null");
    }
    if (!(timeLimitSeconds > 0) || Double.isInfinite(timeLimitSeconds)) {
      throw new IllegalArgumentException(
          "MILP time limit must be positive and finite (seconds), got " + timeLimitSeconds);
    }
    if (!(relativeTolerance >= 0) || !(absoluteTolerance >= 0)
        || Double.isInfinite(relativeTolerance) || Double.isInfinite(absoluteTolerance)) {
      throw new IllegalArgumentException("MILP tolerances must be finite and >= 0, got relative "
          + relativeTolerance + " and absolute " + absoluteTolerance);
    }
  }

  /** Options with interval big-M constants. */
  public MilpOptions(Solver solver, double timeLimitSeconds, double relativeTolerance,
      double absoluteTolerance) {
    this(solver, timeLimitSeconds, relativeTolerance, absoluteTolerance,
        PreActivationBounds.INTERVAL);
  }

  /**
   * SCIP, the given time limit per solve, widening {@code 1e-6 |b| + 1e-7}, interval big-M
   * constants.
   */
  public static MilpOptions withTimeLimit(double timeLimitSeconds) {
    return new MilpOptions(Solver.SCIP, timeLimitSeconds, 1e-6, 1e-7);
  }

  /** The same options with another solver. */
  public MilpOptions withSolver(Solver other) {
    return new MilpOptions(other, timeLimitSeconds, relativeTolerance, absoluteTolerance,
        preActivationBounds);
  }

  /** The same options with big-M constants from {@code bounds}. */
  public MilpOptions withPreActivationBounds(PreActivationBounds bounds) {
    return new MilpOptions(solver, timeLimitSeconds, relativeTolerance, absoluteTolerance,
        bounds);
  }

  /** The widening of a bound {@code b}: {@code relativeTolerance |b| + absoluteTolerance}. */
  public double allowance(double bound) {
    return relativeTolerance * Math.abs(bound) + absoluteTolerance;
  }
}
