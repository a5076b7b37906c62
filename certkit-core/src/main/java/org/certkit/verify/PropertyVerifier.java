package org.certkit.verify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.certkit.attack.RegionAttack;
import org.certkit.certify.BranchAndBound;
import org.certkit.certify.InputSplitting;
import org.certkit.certify.Verdict;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.Box;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.domain.ReluSplits;
import org.certkit.io.vnnlib.Disjunct;
import org.certkit.io.vnnlib.InputBox;
import org.certkit.io.vnnlib.OutputClause;
import org.certkit.io.vnnlib.OutputConstraint;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * A complete verifier for VNNLIB properties: is there an input in a box whose outputs lie in the
 * unsafe region? Per box of the property, first an attack looks for a counterexample
 * ({@link RegionAttack}); one counts only after float32 and float64 forward passes both put it
 * in the region, checked in exact decimal arithmetic against the file's numbers. Then every
 * clause of the region is refuted by sound bounds: CROWN, alpha-CROWN, and for the clauses still
 * open branch and bound, on the input box for networks with few inputs ({@link InputSplitting}),
 * else on ReLU splits. The answer is {@link Verdict.Certified} ("unsat":
 * the property holds) only when every clause of every box is refuted by sound bounds,
 * {@link Verdict.Falsified} ("sat") only with a checked counterexample, else
 * {@link Verdict.Timeout} or {@link Verdict.Unknown}.
 *
 * @param attack the falsification attack
 * @param slopes alpha-CROWN's settings, or null to skip alpha-CROWN
 * @param search the branch and bound on ReLU splits, or null to stop after alpha-CROWN
 * @param inputs the branch and bound on the input box, used instead of {@code search} when the
 *     network has few inputs ({@link InputSplitting#worthIt}); null to always split ReLUs
 */
public record PropertyVerifier(RegionAttack attack, LinearBoundDomain.SlopeOptimisation slopes,
    BranchAndBound search, InputSplitting inputs) {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();

  /**
   * Attack (100 steps, 64 restarts), CROWN, alpha-CROWN, then branch and bound: on the inputs
   * for networks with at most {@link InputSplitting#MAX_INPUTS} inputs, else on ReLUs.
   */
  public static PropertyVerifier standard() {
    return new PropertyVerifier(new RegionAttack(100, 64, 0.5, 0),
        LinearBoundDomain.SlopeOptimisation.standard(), BranchAndBound.standard(),
        InputSplitting.standard());
  }

  /**
   * The answer for one property.
   *
   * @param verdict the answer
   * @param method what decided it: {@code attack}, {@code crown}, {@code alpha-crown},
   *     {@code bab}, or where it stopped
   * @param subproblems branch-and-bound subproblems bounded
   * @param time the time taken
   * @param worstBound the lowest bound of an open subproblem when the search stopped undecided,
   *     else NaN
   */
  public record Result(Verdict verdict, String method, long subproblems, Duration time,
      double worstBound) {

    /** A result that no undecided search left. */
    public Result(Verdict verdict, String method, long subproblems, Duration time) {
      this(verdict, method, subproblems, time, Double.NaN);
    }
  }

  /** Receives what the verifier is doing, for progress lines. */
  @FunctionalInterface
  public interface Listener {
    /**
     * A status update.
     *
     * @param phase {@code attack}, {@code crown}, {@code alpha-crown} or {@code bab}
     * @param progress the search's state in phase {@code bab}, else null
     */
    void status(String phase, BranchAndBound.Progress progress);
  }

  /**
   * Verifies {@code property} on {@code network}.
   *
   * @param manager owns the temporary arrays (a sub-manager is closed before returning)
   * @param timeout the time limit; the attack and the bounds are not interrupted, the search
   *     stops at it
   * @throws IllegalArgumentException when the property's inputs or outputs do not match the
   *     network
   */
  public Result verify(Network network, VnnlibProperty property, Duration timeout,
      NDManager manager, Listener listener) {
    long start = System.nanoTime();
    Shape inputShape = network.inputShape();
    if (property.inputs() != inputShape.size()) {
      throw new IllegalArgumentException("the property has " + property.inputs()
          + " inputs, the network " + inputShape.size() + " (shape " + inputShape + ")");
    }
    if (property.outputs() != network.numClasses()) {
      throw new IllegalArgumentException("the property has " + property.outputs()
          + " outputs, the network " + network.numClasses());
    }
    Listener status = listener != null ? listener : (phase, p) -> { };
    try (NDManager scope = manager.newSubManager()) {
      Shape one = new Shape(1).addAll(inputShape);
      for (Disjunct disjunct : property.disjuncts()) {
        if (disjunct.unsafe().isEmpty()) {
          continue;
        }
        status.status("attack", null);
        Optional<Verdict.Falsified> found = falsify(network, property, disjunct, one, scope);
        if (found.isPresent()) {
          return new Result(found.get(), "attack", 0, since(start));
        }
      }
      long bounded = 0;
      String method = "crown";
      for (Disjunct disjunct : property.disjuncts()) {
        List<OutputClause> open = new ArrayList<>(disjunct.unsafe());
        NDArray lower = scope.create(disjunct.box().lowerOutward(), one);
        NDArray upper = scope.create(disjunct.box().upperOutward(), one);
        InputSet box = new InputSet.BoxRegion(lower, upper);
        status.status("crown", null);
        List<Box> reluInputs = new ArrayList<>();
        open = refute(new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD), network, box, open, reluInputs, scope);
        if (!open.isEmpty() && slopes != null) {
          status.status("alpha-crown", null);
          method = "alpha-crown";
          open = refute(new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
              IntervalDomain.Rounding.OUTWARD, slopes), network, box, open, reluInputs, scope);
        }
        boolean splitInputs = inputs != null && InputSplitting.worthIt(inputShape.size());
        for (OutputClause clause : open) {
          if (search == null && !splitInputs) {
            return new Result(new Verdict.Unknown("a clause of the unsafe region is not refuted"
                + " by alpha-CROWN"), method, bounded, since(start));
          }
          method = splitInputs ? "input-split" : "bab";
          Duration left = timeout.minus(since(start));
          if (left.isNegative() || left.isZero()) {
            return new Result(new Verdict.Timeout(timeout), method, bounded, since(start));
          }
          Specification.LinearConstraints rows = refutation(List.of(clause), scope);
          BranchAndBound.Outcome outcome = splitInputs
              ? inputs.prove(network, lower, upper, rows, left, p -> status.status("bab", p))
              : search.prove(network, lower, upper, rows, left, p -> status.status("bab", p),
                  reluInputs);
          bounded += outcome.bounded();
          if (outcome instanceof BranchAndBound.Outcome.Candidates leafPoints) {
            for (double[] x : leafPoints.points()) {
              Optional<Verdict.Falsified> checked = check(network, property, disjunct.box(),
                  toFloats(x), one, scope);
              if (checked.isPresent()) {
                return new Result(checked.get(), method, bounded, since(start));
              }
            }
            return new Result(new Verdict.Unknown("the exact leaf's points are not"
                + " counterexamples in float32 and float64"), method, bounded, since(start));
          }
          if (outcome instanceof BranchAndBound.Outcome.Undecided undecided) {
            Verdict verdict = undecided.timedOut() ? new Verdict.Timeout(timeout)
                : new Verdict.Unknown(undecided.reason());
            return new Result(verdict, method, bounded, since(start), undecided.worstBound());
          }
        }
      }
      return new Result(Verdict.CERTIFIED, method, bounded, since(start));
    }
  }

  /**
   * The clauses of {@code clauses} that bounds of {@code domain} do not refute on the box;
   * {@code reluInputs} receives the pre-activation bounds of that run, sound on the box.
   */
  private static List<OutputClause> refute(LinearBoundDomain domain, Network network,
      InputSet box, List<OutputClause> clauses, List<Box> reluInputs, NDManager scope) {
    if (clauses.isEmpty()) {
      return clauses;
    }
    Specification.LinearConstraints rows = refutation(clauses, scope);
    LinearBoundDomain.BranchBounds bounds = domain.branchBounds(network, box, rows, EVAL,
        ReluSplits.none());
    reluInputs.clear();
    reluInputs.addAll(bounds.reluInputs());
    double[] lower = bounds.lower().toDoubleArray();
    List<OutputClause> open = new ArrayList<>();
    int row = 0;
    for (OutputClause clause : clauses) {
      boolean refuted = false;
      for (int r = 0; r < clause.constraints().size(); r++, row++) {
        refuted |= lower[row] > 0;
      }
      if (!refuted) {
        open.add(clause);
      }
    }
    return open;
  }

  /**
   * The rows whose positivity refutes the clauses: for each constraint {@code a y + b >= 0} the
   * row {@code -a y - b'}, where {@code b'} is {@code b} rounded up to a double, so the row's
   * lower bound is at most the exact one's. One example, the clauses' rows in order.
   *
   * @throws IllegalArgumentException when a coefficient is not exactly a double (not sound to
   *     round)
   */
  static Specification.LinearConstraints refutation(List<OutputClause> clauses,
      NDManager scope) {
    List<OutputConstraint> all = new ArrayList<>();
    clauses.forEach(c -> all.addAll(c.constraints()));
    int k = all.getFirst().dimension();
    double[] matrix = new double[all.size() * k];
    double[] offset = new double[all.size()];
    for (int r = 0; r < all.size(); r++) {
      OutputConstraint c = all.get(r);
      for (int j = 0; j < k; j++) {
        BigDecimal a = c.coefficients().get(j);
        double d = a.doubleValue();
        if (new BigDecimal(d).compareTo(a) != 0) {
          throw new IllegalArgumentException("output coefficient " + a + " is not exactly a"
              + " double; certkit cannot refute such a constraint soundly yet");
        }
        matrix[r * k + j] = -d;
      }
      double b = c.offset().doubleValue();
      if (new BigDecimal(b).compareTo(c.offset()) < 0) {
        b = Math.nextUp(b);
      }
      offset[r] = -b;
    }
    return new Specification.LinearConstraints(
        scope.create(matrix, new Shape(1, all.size(), k)),
        scope.create(offset, new Shape(1, all.size())));
  }

  /** A checked counterexample in {@code disjunct}'s box, if the attack finds one. */
  private Optional<Verdict.Falsified> falsify(Network network, VnnlibProperty property,
      Disjunct disjunct, Shape one, NDManager scope) {
    InputBox box = disjunct.box();
    NDArray lower = scope.create(toFloats(box.lowerOutward()), one);
    NDArray upper = scope.create(toFloats(box.upperOutward()), one);
    List<RegionAttack.Clause> clauses = new ArrayList<>();
    for (OutputClause clause : disjunct.unsafe()) {
      int rows = clause.constraints().size();
      int k = clause.constraints().getFirst().dimension();
      float[] a = new float[rows * k];
      float[] b = new float[rows];
      for (int r = 0; r < rows; r++) {
        OutputConstraint c = clause.constraints().get(r);
        for (int j = 0; j < k; j++) {
          a[r * k + j] = c.coefficients().get(j).floatValue();
        }
        b[r] = c.offset().floatValue();
      }
      clauses.add(new RegionAttack.Clause(scope.create(a, new Shape(rows, k)),
          scope.create(b)));
    }
    RegionAttack.Candidates candidates = attack.attack(network, lower, upper, clauses, EVAL);
    float[] points = candidates.points().toFloatArray();
    float[] objective = candidates.objective().toFloatArray();
    int dims = (int) one.size();
    Integer[] order = new Integer[objective.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (p, q) -> Float.compare(objective[q], objective[p]));
    for (int i : order) {
      float[] x = java.util.Arrays.copyOfRange(points, i * dims, (i + 1) * dims);
      Optional<Verdict.Falsified> checked = check(network, property, box, x, one, scope);
      if (checked.isPresent()) {
        return checked;
      }
      if (objective[i] < 0) {
        break;
      }
    }
    return Optional.empty();
  }

  /**
   * {@code x} as a counterexample, if it is one: moved into the exact box (float steps
   * inward where rounding put it outside), then evaluated in float32 and in float64, both
   * outputs in the property's unsafe region in exact arithmetic.
   */
  static Optional<Verdict.Falsified> check(Network network, VnnlibProperty property,
      InputBox box, float[] x, Shape one, NDManager scope) {
    float[] inside = x.clone();
    for (int i = 0; i < inside.length; i++) {
      BigDecimal lo = box.lower().get(i);
      BigDecimal hi = box.upper().get(i);
      for (int step = 0; step < 4 && new BigDecimal(inside[i]).compareTo(lo) < 0; step++) {
        inside[i] = Math.nextUp(inside[i]);
      }
      for (int step = 0; step < 4 && new BigDecimal(inside[i]).compareTo(hi) > 0; step++) {
        inside[i] = Math.nextDown(inside[i]);
      }
    }
    double[] point = new double[inside.length];
    for (int i = 0; i < point.length; i++) {
      point[i] = inside[i];
    }
    if (!box.contains(point)) {
      return Optional.empty();
    }
    try (NDManager local = scope.newSubManager()) {
      NDArray x32 = local.create(inside, one);
      double[] y32 = ConcreteDomain.forward(network, x32, EVAL).toType(DataType.FLOAT64, false)
          .toDoubleArray();
      double[] y64 = ConcreteDomain.forward(network, x32.toType(DataType.FLOAT64, false), EVAL)
          .toDoubleArray();
      if (property.isCounterexample(point, y32) && property.isCounterexample(point, y64)) {
        return Optional.of(new Verdict.Falsified(point, y32));
      }
    }
    return Optional.empty();
  }

  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
