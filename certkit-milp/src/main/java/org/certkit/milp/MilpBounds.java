package org.certkit.milp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.ortools.Loader;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPSolverParameters;
import com.google.ortools.linearsolver.MPVariable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.domain.NodeBoxes;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;

/**
 * Solver bounds of a network's outputs, or of a linear objective {@code c^T y} of them (such as a
 * margin {@code y_t - y_k}), over an input box, by mixed-integer linear programming with the
 * encoding of Tjeng, Xiao and Tedrake, "Evaluating robustness of neural networks with mixed
 * integer programming" (ICLR 2019). They hold within the solver's tolerances, widened by the
 * allowance of {@link MilpOptions}; they are not proven bounds (see below).
 *
 * <p>The network is taken in evaluation mode (BatchNorm with running statistics, an affine map), one
 * example at a time; every layer type is supported. Each unstable ReLU becomes one binary variable,
 * with big-M constants from interval bound propagation ({@link IntervalDomain} with
 * {@link IntervalDomain.Rounding#OUTWARD} rounding, so they hold for the network in exact
 * arithmetic), optionally tightened by CROWN's sound linear bounds
 * ({@link LinearBoundDomain}, {@link MilpOptions.PreActivationBounds#LINEAR_RELAXATION}, needed for trained MNIST networks,
 * where interval bounds leave over a thousand ReLUs unstable at eps 0.01). The solve time grows
 * exponentially with the number of unstable ReLUs in the worst case: use it on small networks or
 * small radii, as ground truth for cheaper bounds, or as the last link of a certification chain.
 *
 * <p><b>Tolerances.</b> MILP solvers work in floating point with tolerances: a
 * constraint may be violated by up to about {@code 1e-6} (feasibility tolerance) and a binary may
 * be fractional by about {@code 1e-6} (integrality tolerance), and the solvers' defaults are kept.
 * The relative optimality gap is set to 0. An optimum is thus optimal only within the solver's
 * tolerances, and each reported bound is widened outward by {@link MilpOptions#relativeTolerance()}
 * {@code |b| +} {@link MilpOptions#absoluteTolerance()}; a lower bound is also never reported
 * above the objective at the solver's own point (evaluated by the concrete forward pass), nor an
 * upper bound below it. The widening is an allowance, not an error bound: these bounds are not
 * certified against floating-point error the way {@link IntervalDomain.Rounding#OUTWARD} bounds
 * are (the big-M constants are: they hold in exact arithmetic).
 *
 * <p><b>Time limit.</b> Every solve (one side of one objective) has the time limit of the
 * {@link MilpOptions}. When it ends the solve, the result is {@link MilpBound.TimedOut}, never
 * {@link MilpBound.Optimal}: its bound is the solver's dual bound (never the incumbent's value, which
 * may not be the optimum), or the interval bound (intersected with the linear-relaxation bound when
 * those are chosen) when that is tighter or when the solver stopped before finding any point
 * (OR-Tools then reports no dual bound).
 *
 * <p><b>Threads.</b> The OR-Tools native library is loaded once, when this class is first used.
 * An instance holds only its options; every call builds, solves and frees its own solver, so
 * calls from several threads are safe as long as nobody changes the network's parameters
 * meanwhile. Each solve runs on one thread.
 */
public final class MilpBounds {

  static {
    Loader.loadNativeLibraries();
  }

  /** A dual bound at least this large in magnitude means the solver has proved nothing. */
  private static final double NO_BOUND = 1e20;

  private final MilpOptions options;

  /** Bounds computed with the given solver, time limit and tolerances. */
  public MilpBounds(MilpOptions options) {
    this.options = Objects.requireNonNull(options, "MILP options");
  }

  /** The options. */
  public MilpOptions options() {
    return options;
  }

  /**
   * Lower and upper bounds of every output; {@code 2 K} solves on one model for {@code K} outputs.
   *
   * @param network any network of {@link org.certkit.net.Layer}s, evaluated with running
   *     BatchNorm statistics; not modified
   * @param input a box around one example, batch size 1, in the network's input space: usually
   *     {@link Box#linfBall} (L-infinity ball in [0, 1] pixel space, clipped to [0, 1]), or any
   *     {@link Box#fromBounds} box, which is used as given; any floating type; not modified
   */
  public OutputBounds outputBounds(Network network, Box input) {
    try (Problem problem = Problem.of(network, input, options)) {
      int outputs = problem.encoding.outputCount();
      List<MilpBound> lower = new ArrayList<>(outputs);
      List<MilpBound> upper = new ArrayList<>(outputs);
      for (int k = 0; k < outputs; k++) {
        double[] unit = new double[outputs];
        unit[k] = 1;
        lower.add(problem.solve(unit, MilpBound.Side.LOWER));
        upper.add(problem.solve(unit, MilpBound.Side.UPPER));
      }
      return new OutputBounds(lower, upper, problem.encoding.unstableRelus());
    }
  }

  /**
   * One bound of {@code c^T y} over the outputs {@code y}.
   *
   * @param network as in {@link #outputBounds}
   * @param input as in {@link #outputBounds}
   * @param objective {@code c}, one coefficient per output; see {@link #margin}
   * @param side which side to bound
   */
  public MilpBound bound(Network network, Box input, double[] objective, MilpBound.Side side) {
    try (Problem problem = Problem.of(network, input, options)) {
      return problem.solve(objective.clone(), side);
    }
  }

  /** What the solver says about {@code c^T y <= threshold} on the box. */
  enum Reach {
    /** The solver proved that no point of the box meets it (within its tolerances). */
    NEVER,
    /** The solver found a point that meets it (within its tolerances; check it). */
    FOUND,
    /** Neither before the time limit. */
    UNDECIDED
  }

  /**
   * Whether some point of the box has {@code c^T y <= threshold + allowance}: the program with
   * that constraint and no objective, solved to feasibility, which prunes far sooner than a
   * solve to the optimum. A point found is then moved inside by minimising {@code c^T y} (with
   * SCIP, until it is {@code 1e-3 (1 + |threshold|)} below the threshold or the time limit).
   *
   * @param point receives the solver's point (clipped to the box) when {@link Reach#FOUND}
   */
  Reach reaches(Network network, Box input, double[] objective, double threshold,
      double[] point) {
    try (Problem problem = Problem.of(network, input, options)) {
      problem.encoding.requireAtMost(objective, threshold + options.allowance(threshold));
      MPSolver solver = problem.encoding.solver();
      solver.setTimeLimit(Math.max(1, Math.round(options.timeLimitSeconds() * 1000)));
      MPSolver.ResultStatus status = solver.solve(problem.parameters);
      return switch (status) {
        case INFEASIBLE -> Reach.NEVER;
        case OPTIMAL, FEASIBLE -> {
          // A feasibility point lies on the constraint's boundary, within the tolerances: move
          // it inside by minimising c^T y, stopping (SCIP) once clearly below the threshold.
          problem.encoding.setObjective(objective, true);
          if (options.solver() == MilpOptions.Solver.SCIP) {
            solver.setSolverSpecificParametersAsString(String.format(java.util.Locale.ROOT,
                "limits/primal = %.17g%n", threshold - 1e-3 * (1 + Math.abs(threshold))));
          }
          solver.solve(problem.parameters);
          MPVariable[] inputs = problem.encoding.inputs();
          for (int i = 0; i < inputs.length; i++) {
            point[i] = Math.clamp(inputs[i].solutionValue(), problem.lower[i], problem.upper[i]);
          }
          yield Reach.FOUND;
        }
        case NOT_SOLVED, UNBOUNDED, ABNORMAL, MODEL_INVALID -> Reach.UNDECIDED;
      };
    }
  }

  /**
   * The objective {@code y_target - y_other} of {@code classes} outputs; its lower bound is
   * positive when no point of the box prefers {@code other} to {@code target}.
   */
  public static double[] margin(int classes, int target, int other) {
    if (target < 0 || target >= classes || other < 0 || other >= classes || target == other) {
      throw new IllegalArgumentException("margin needs two different classes in [0, " + classes
          + "), got target " + target + " and other " + other);
    }
    double[] c = new double[classes];
    c[target] = 1;
    c[other] = -1;
    return c;
  }

  /** One encoded network over one box, with its interval bounds; frees its arrays and solver. */
  private static final class Problem implements AutoCloseable {
    private final Network network;
    private final MilpOptions options;
    private final NDManager scope;
    private final double[] lower;
    private final double[] upper;
    private final double[] intervalLower;
    private final double[] intervalUpper;
    private final MixedIntegerEncoding encoding;
    private final MPSolverParameters parameters = new MPSolverParameters();

    private Problem(Network network, MilpOptions options, NDManager scope, double[] lower,
        double[] upper, double[] intervalLower, double[] intervalUpper,
        MixedIntegerEncoding encoding) {
      this.network = network;
      this.options = options;
      this.scope = scope;
      this.lower = lower;
      this.upper = upper;
      this.intervalLower = intervalLower;
      this.intervalUpper = intervalUpper;
      this.encoding = encoding;
      parameters.setDoubleParam(MPSolverParameters.DoubleParam.RELATIVE_MIP_GAP, 0.0);
    }

    static Problem of(Network network, Box input, MilpOptions options) {
      Shape shape = input.centre().getShape();
      if (shape.get(0) != 1 || shape.size() != network.inputShape().size()) {
        throw new IllegalArgumentException("MILP bounds take a box around one example of shape "
            + network.inputShape() + " with a batch axis of 1, got " + shape);
      }
      NDManager scope = input.centre().getManager().newSubManager();
      MPSolver solver = null;
      try {
        NDArray lo = input.lower();
        NDArray hi = input.upper();
        lo.attach(scope);
        hi.attach(scope);
        NDArray lower64 = lo.toType(DataType.FLOAT64, false);
        NDArray upper64 = hi.toType(DataType.FLOAT64, false);
        List<double[][]> preActivations = new ArrayList<>();
        if (!network.isChain()) {
          throw new IllegalArgumentException("MILP bounds support chain networks; "
              + network.architecture() + " is a graph");
        }
        NodeBoxes boxes = new IntervalDomain(IntervalDomain.Rounding.OUTWARD).nodeBoxes(network,
            Box.fromBounds(lower64, upper64), BatchStatistics.evaluation());
        Box output = boxes.of(network.layers().size() - 1);
        for (Box box : boxes.reluInputs(network)) {
          preActivations.add(new double[][] {box.lower().toDoubleArray(),
              box.upper().toDoubleArray()});
        }
        double[] lower = lower64.toDoubleArray();
        double[] upper = upper64.toDoubleArray();
        AffineBlocks blocks = AffineBlocks.of(network.layers(), network.inputShape().getShape());
        double[][] outputBounds = {output.lower().toDoubleArray(),
            output.upper().toDoubleArray()};
        List<double[][]> reluBounds = preActivations;
        if (options.preActivationBounds()
            == MilpOptions.PreActivationBounds.LINEAR_RELAXATION) {
          LinearBoundDomain.LayerBounds tight = new LinearBoundDomain(
              LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.OUTWARD)
              .layerBounds(network, new InputSet.BoxRegion(lower64, upper64),
                  BatchStatistics.evaluation());
          reluBounds = new ArrayList<>();
          for (Box box : tight.reluInputs()) {
            reluBounds.add(new double[][] {box.lower().toDoubleArray(),
                box.upper().toDoubleArray()});
          }
          outputBounds = new double[][] {tight.output().lower().toDoubleArray(),
              tight.output().upper().toDoubleArray()};
        }
        solver = MPSolver.createSolver(options.solver().name());
        if (solver == null) {
          throw new IllegalStateException("OR-Tools offers no " + options.solver()
              + " solver in this build; choose another MilpOptions.Solver");
        }
        MixedIntegerEncoding encoding = MixedIntegerEncoding.build(solver, blocks, lower, upper,
            reluBounds);
        return new Problem(network, options, scope, lower, upper, outputBounds[0],
            outputBounds[1], encoding);
      } catch (RuntimeException e) {
        if (solver != null) {
          solver.delete();
        }
        scope.close();
        throw e;
      }
    }

    MilpBound solve(double[] objective, MilpBound.Side side) {
      boolean minimise = side == MilpBound.Side.LOWER;
      MPSolver solver = encoding.solver();
      encoding.setObjective(objective, minimise);
      solver.setTimeLimit(Math.max(1, Math.round(options.timeLimitSeconds() * 1000)));
      long start = System.nanoTime();
      MPSolver.ResultStatus status = solver.solve(parameters);
      double seconds = (System.nanoTime() - start) * 1e-9;
      double interval = intervalBound(objective, minimise);
      return switch (status) {
        case OPTIMAL -> {
          MilpBound.Incumbent best = incumbent(objective);
          double primal = solver.objective().value();
          double dual = solver.objective().bestBound();
          double proven = minimise ? Math.min(dual, primal) : Math.max(dual, primal);
          yield new MilpBound.Optimal(side, notBeyond(widened(proven, minimise), best, minimise),
              best, seconds);
        }
        case FEASIBLE -> {
          // OR-Tools sets the dual bound together with a solution: only FEASIBLE carries one.
          MilpBound.Incumbent found = incumbent(objective);
          double dual = solver.objective().bestBound();
          double proven = interval;
          if (Math.abs(dual) < NO_BOUND) {
            double widened = widened(dual, minimise);
            proven = minimise ? Math.max(widened, interval) : Math.min(widened, interval);
          }
          yield new MilpBound.TimedOut(side, notBeyond(proven, found, minimise),
              Optional.of(found), seconds);
        }
        case NOT_SOLVED -> seconds >= options.timeLimitSeconds()
            ? new MilpBound.TimedOut(side, interval, Optional.empty(), seconds)
            : new MilpBound.Unknown(side, interval, "solver stopped early without a solution",
                seconds);
        case INFEASIBLE, UNBOUNDED, ABNORMAL, MODEL_INVALID ->
            new MilpBound.Unknown(side, interval, "solver status " + status, seconds);
      };
    }

    /** {@code bound} moved outward by the tolerance allowance of the options. */
    private double widened(double bound, boolean minimise) {
      double allowance = options.allowance(bound);
      return minimise ? bound - allowance : bound + allowance;
    }

    /**
     * {@code bound}, moved to the objective at {@code point} if it lies beyond it: a point of the
     * box attains that value, so no sound lower bound exceeds it (nor upper bound falls below it).
     */
    private static double notBeyond(double bound, MilpBound.Incumbent point, boolean minimise) {
      return minimise ? Math.min(bound, point.value()) : Math.max(bound, point.value());
    }

    /** The bound of {@code c^T y} over the interval output box. */
    private double intervalBound(double[] c, boolean minimise) {
      double sum = 0;
      for (int k = 0; k < c.length; k++) {
        boolean useLower = (c[k] >= 0) == minimise;
        sum += c[k] * (useLower ? intervalLower[k] : intervalUpper[k]);
      }
      return sum;
    }

    /** The solver's point clipped to the box, and {@code c^T y} there in float64. */
    private MilpBound.Incumbent incumbent(double[] c) {
      MPVariable[] inputs = encoding.inputs();
      double[] x = new double[inputs.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = Math.clamp(inputs[i].solutionValue(), lower[i], upper[i]);
      }
      long[] dims = new long[network.inputShape().dimension() + 1];
      dims[0] = 1;
      System.arraycopy(network.inputShape().getShape(), 0, dims, 1, dims.length - 1);
      try (NDManager evaluation = scope.newSubManager()) {
        double[] y = ConcreteDomain.forward(network, evaluation.create(x, new Shape(dims)),
            BatchStatistics.evaluation()).toDoubleArray();
        double value = 0;
        for (int k = 0; k < c.length; k++) {
          value += c[k] * y[k];
        }
        return new MilpBound.Incumbent(x, value);
      }
    }

    @Override
    public void close() {
      parameters.delete();
      encoding.solver().delete();
      scope.close();
    }
  }
}
