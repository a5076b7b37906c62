package org.certkit.milp;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Objects;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.vnnlib.Disjunct;
import org.certkit.io.vnnlib.OutputClause;
import org.certkit.io.vnnlib.OutputConstraint;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;

/**
 * An independent second opinion on a VNNLIB property by mixed-integer programming: a cross-check
 * of a verifier's "unsat", not a proof (the solver works within its tolerances, see
 * {@link MilpBounds}).
 *
 * <p>A clause of the unsafe region, {@code a_i . y + b_i >= 0} for all {@code i}, is refuted when
 * the solver proves that some constraint fails on the whole box: that no point has
 * {@code -a_i . y <= b_i} (plus the options' widening), a feasibility solve with the options'
 * time limit and the ReLUs' big-M constants from the options' pre-activation bounds.
 * When no constraint of a clause is refuted and a solver point satisfies all of them (checked in
 * exact decimal arithmetic on the network's float64 output there), the property is violated and
 * the point contradicts any "unsat".
 */
public final class MilpPropertyCheck {

  /** What the solver says about a property. */
  public enum Agreement {
    /** Every clause of every disjunct refuted: the solver agrees with "unsat". */
    REFUTED,
    /** A solver point lies in the unsafe region: the property is violated. */
    VIOLATED,
    /** Neither within the time limits. */
    OPEN
  }

  /**
   * The check's outcome.
   *
   * @param agreement what the solver says
   * @param solves constraint solves run
   * @param seconds time taken
   * @param detail the first clause left open or violated, empty when refuted
   */
  public record Outcome(Agreement agreement, int solves, double seconds, String detail) { }

  private final MilpBounds milp;

  /** A check with these solver options. */
  public MilpPropertyCheck(MilpOptions options) {
    this.milp = new MilpBounds(Objects.requireNonNull(options, "MILP options"));
  }

  /** SCIP with CROWN big-M constants and {@code secondsPerSolve} per constraint. */
  public static MilpPropertyCheck withTimeLimit(double secondsPerSolve) {
    return new MilpPropertyCheck(MilpOptions.withTimeLimit(secondsPerSolve)
        .withPreActivationBounds(MilpOptions.PreActivationBounds.LINEAR_RELAXATION));
  }

  /**
   * Checks every clause of {@code property} on {@code network}, stopping at the first clause
   * that the solver cannot refute.
   *
   * @param network a chain network whose input has as many values as the property's
   * @param manager where the temporary arrays live
   */
  public Outcome check(Network network, VnnlibProperty property, NDManager manager) {
    long start = System.nanoTime();
    int solves = 0;
    long[] dims = new long[network.inputShape().dimension() + 1];
    dims[0] = 1;
    System.arraycopy(network.inputShape().getShape(), 0, dims, 1, dims.length - 1);
    Shape shape = new Shape(dims);
    for (int d = 0; d < property.disjuncts().size(); d++) {
      Disjunct disjunct = property.disjuncts().get(d);
      try (NDManager scope = manager.newSubManager()) {
        Box box = Box.fromBounds(scope.create(disjunct.box().lowerOutward(), shape),
            scope.create(disjunct.box().upperOutward(), shape));
        List<OutputClause> clauses = disjunct.unsafe();
        for (int c = 0; c < clauses.size(); c++) {
          boolean refuted = false;
          boolean violated = false;
          for (OutputConstraint constraint : clauses.get(c).constraints()) {
            OutputConstraint.DoubleForm f = constraint.toDoubles();
            // a . y + b >= 0 fails everywhere iff no point has -a . y <= b.
            double[] objective = f.coefficients();
            for (int j = 0; j < objective.length; j++) {
              objective[j] = -objective[j];
            }
            double[] point = new double[disjunct.box().dimension()];
            MilpBounds.Reach reach = milp.reaches(network, box, objective, f.offset(), point);
            solves++;
            if (reach == MilpBounds.Reach.NEVER) {
              refuted = true;
              break;
            }
            violated |= reach == MilpBounds.Reach.FOUND
                && violates(network, property, point, shape, scope);
          }
          if (!refuted) {
            String where = "disjunct " + d + ", clause " + c;
            return new Outcome(violated ? Agreement.VIOLATED : Agreement.OPEN, solves,
                (System.nanoTime() - start) / 1e9, where);
          }
        }
      }
    }
    return new Outcome(Agreement.REFUTED, solves, (System.nanoTime() - start) / 1e9, "");
  }

  /** Whether the network's float64 output at {@code x} puts it in the unsafe region. */
  private static boolean violates(Network network, VnnlibProperty property, double[] x,
      Shape shape, NDManager scope) {
    try (NDManager evaluation = scope.newSubManager()) {
      double[] y = ConcreteDomain.forward(network, evaluation.create(x, shape),
          BatchStatistics.evaluation()).toDoubleArray();
      return property.isCounterexample(x, y);
    }
  }
}
