package org.certkit.milp;

import com.google.ortools.Loader;
import com.google.ortools.linearsolver.MPConstraint;
import com.google.ortools.linearsolver.MPObjective;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPVariable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import org.certkit.certify.BranchAndBound;
import org.certkit.io.vnnlib.ExactDoubles;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;

/**
 * The exact leaf of branch and bound: the linear program of a subproblem, solved by GLOP, with
 * a rigorous bound made from the solver's duals.
 *
 * <p>The program has a variable per input (normalised, when the network starts with
 * {@link Normalize}, over an outward-rounded box), per ReLU input that is not stable at 0 (in the
 * subproblem's bounds intersected with its split) and per unsplit unstable ReLU output, with the
 * network's affine maps as equalities and the triangle relaxation {@code y >= 0},
 * {@code y >= z}, {@code y <= s z + t} on the unsplit units; {@code s} and {@code t} are doubles
 * chosen so that the line lies above the ReLU on {@code [l, u]} in exact arithmetic. When every
 * unstable unit is split the program is exact: the network is affine on the subproblem.
 *
 * <p>The bound does not trust the solver: for any multipliers {@code y} of the rows
 * {@code lb <= a v <= ub}, the objective {@code g v + g0} is at least {@code g0 + sum y_i side_i
 * + sum_v min((g - A^T y)_v lo_v, (g - A^T y)_v hi_v)} (the side the sign of {@code y_i} needs),
 * evaluated here in exact decimal arithmetic (Neumaier and Shcherbina, "Safe bounds in linear
 * and mixed-integer linear programming", Math. Programming 99, 2004). Every variable has finite
 * sound bounds, so the bound is finite; the solver's duals only make it tight. A row proven
 * positive so proves the subproblem; otherwise, on an exact program, the minimisers of the rows
 * are returned as candidate counterexamples for the caller to check.
 *
 * <p>Networks: an optional leading {@link Normalize}, then {@link Linear} or {@link Conv2d}
 * layers, at most one between two ReLUs, with {@link Relu} and {@link Flatten}; so each affine
 * map of the program holds the network's own weights, exactly. Others get an open answer. Not
 * thread-safe (it keeps the last network's maps).
 */
public final class LinearProgramLeaf implements BranchAndBound.Leaf {

  /** Digits of the normalised box's quotients before their rounding to doubles. */
  private static final int QUOTIENT_DIGITS = 40;

  private Network cachedNetwork;
  private Plan cachedPlan;

  /** The affine maps between the ReLUs and the leading normalisation of one network. */
  private record Plan(List<AffineBlocks.Map> maps, double[] mean, double[] std, String refusal) {
  }

  /** A row {@code lb <= coefficient . v[index] <= ub} of the program. */
  private record Row(int[] index, double[] coefficient, double lb, double ub) { }

  @Override
  public BranchAndBound.LeafAnswer decide(Network network, double[] lower, double[] upper,
      double[][] matrix, double[] offset, double[][] preLower, double[][] preUpper,
      byte[][] signs) {
    Plan plan = plan(network);
    if (plan.refusal() != null) {
      return new BranchAndBound.LeafAnswer.Open(plan.refusal());
    }
    Loader.loadNativeLibraries();
    Built built = build(plan, lower, upper, preLower, preUpper, signs);
    if (built == null) {
      return new BranchAndBound.LeafAnswer.Proven(); // the splits leave no point
    }
    List<double[]> candidates = new ArrayList<>();
    boolean infeasible = false;
    try {
      for (int s = 0; s < matrix.length; s++) {
        Objective objective = Objective.of(plan.maps().getLast(), built.terms(), matrix[s],
            offset[s]);
        MPSolver.ResultStatus status = built.program().solve(objective);
        infeasible |= status == MPSolver.ResultStatus.INFEASIBLE;
        if (status != MPSolver.ResultStatus.OPTIMAL) {
          continue;
        }
        if (built.program().safeBound(objective).signum() > 0) {
          return new BranchAndBound.LeafAnswer.Proven();
        }
        if (built.free() == 0) {
          candidates.add(built.program().point(lower, upper, plan.mean(), plan.std()));
        }
      }
    } finally {
      built.program().delete();
    }
    if (infeasible && built.free() == 0
        && provenEmpty(plan, lower, upper, preLower, preUpper, signs)) {
      return new BranchAndBound.LeafAnswer.Proven();
    }
    if (!candidates.isEmpty()) {
      return new BranchAndBound.LeafAnswer.Points(candidates);
    }
    return new BranchAndBound.LeafAnswer.Open(built.free() == 0
        ? "the linear program proves no row and gives no point"
        : "the linear program (" + built.free() + " unsplit unstable units) proves no row");
  }

  /** The program of a subproblem, or null when its splits contradict its bounds. */
  private static Built build(Plan plan, double[] lower, double[] upper, double[][] preLower,
      double[][] preUpper, byte[][] signs) {
    Program program = new Program();
    int[] terms = program.inputs(lower, upper, plan.mean(), plan.std());
    int free = 0;
    List<AffineBlocks.Map> maps = plan.maps();
    for (int k = 0; k < maps.size() - 1; k++) {
      AffineBlocks.Map map = maps.get(k);
      int[] next = new int[map.outputs()];
      for (int j = 0; j < next.length; j++) {
        byte sign = signs[k] == null ? 0 : signs[k][j];
        double l = sign > 0 ? Math.max(preLower[k][j], 0) : preLower[k][j];
        double u = sign < 0 ? Math.min(preUpper[k][j], 0) : preUpper[k][j];
        if (l > u) {
          program.delete();
          return null;
        }
        if (u <= 0 && sign == 0) {
          next[j] = -1; // the constant 0; dropping its input's row only relaxes the program
          continue;
        }
        int z = program.affine(map, j, terms, l, u);
        if (l >= 0) {
          next[j] = z;
        } else if (u <= 0) {
          next[j] = -1;
        } else {
          next[j] = program.relu(z, l, u);
          free++;
        }
      }
      terms = next;
    }
    return new Built(program, terms, free);
  }

  /**
   * Whether the subproblem, every unit's pattern fixed (split, or stable by its bounds), has no
   * point: the pattern's affine network over the box, each unit's sign a row
   * {@code z + e >= 0} (active) or {@code z - e <= 0} (inactive) with a slack {@code e >= 0},
   * and {@code z} within the pattern network's interval bounds on the box (widened for
   * rounding). Every point of the box is a point of this program, the subproblem's points are
   * those with every slack 0, so a positive safe lower bound of the slacks' sum proves it empty.
   */
  private static boolean provenEmpty(Plan plan, double[] lower, double[] upper,
      double[][] preLower, double[][] preUpper, byte[][] signs) {
    Program program = new Program();
    try {
      int[] terms = program.inputs(lower, upper, plan.mean(), plan.std());
      double[][] range = new double[terms.length][];
      for (int i = 0; i < terms.length; i++) {
        range[i] = program.bounds.get(terms[i]).clone();
      }
      List<Integer> slacks = new ArrayList<>();
      List<AffineBlocks.Map> maps = plan.maps();
      for (int k = 0; k < maps.size() - 1; k++) {
        AffineBlocks.Map map = maps.get(k);
        int[] next = new int[map.outputs()];
        double[][] nextRange = new double[map.outputs()][];
        for (int j = 0; j < next.length; j++) {
          byte sign = signs[k] == null ? 0 : signs[k][j];
          boolean active = sign > 0 || sign == 0 && preLower[k][j] >= 0;
          if (sign == 0 && preLower[k][j] < 0 && preUpper[k][j] > 0) {
            return false; // an unstable unit: not a fixed pattern
          }
          double[] z = interval(map, j, terms, range);
          int v = program.affine(map, j, terms, z[0], z[1]);
          int e = program.variable(0, Math.max(Math.abs(z[0]), Math.abs(z[1])));
          slacks.add(e);
          if (active) {
            program.row(new int[] {v, e}, new double[] {1, 1}, 0, Double.POSITIVE_INFINITY);
          } else {
            program.row(new int[] {v, e}, new double[] {1, -1}, Double.NEGATIVE_INFINITY, 0);
          }
          next[j] = active ? v : -1;
          nextRange[j] = active ? z : new double[] {0, 0};
        }
        terms = next;
        range = nextRange;
      }
      int[] index = slacks.stream().mapToInt(Integer::intValue).toArray();
      BigDecimal[] ones = new BigDecimal[index.length];
      java.util.Arrays.fill(ones, BigDecimal.ONE);
      Objective total = new Objective(index, ones, BigDecimal.ZERO);
      return program.solve(total) == MPSolver.ResultStatus.OPTIMAL
          && program.safeBound(total).signum() > 0;
    } finally {
      program.delete();
    }
  }

  /**
   * Interval bounds of unit {@code j} of {@code map} on terms within {@code range} (constant
   * terms are 0), widened past the rounding of the double sums: {@code (n + 2) 2^-52} of the
   * magnitudes, twice, plus the smallest normal double.
   */
  private static double[] interval(AffineBlocks.Map map, int j, int[] terms, double[][] range) {
    double lo = map.offset()[j];
    double hi = lo;
    double magnitude = Math.abs(lo);
    int[] index = map.index()[j];
    double[] weight = map.weight()[j];
    for (int t = 0; t < index.length; t++) {
      if (terms[index[t]] < 0) {
        continue;
      }
      double[] r = range[index[t]];
      double w = weight[t];
      lo += Math.min(w * r[0], w * r[1]);
      hi += Math.max(w * r[0], w * r[1]);
      magnitude += Math.abs(w) * Math.max(Math.abs(r[0]), Math.abs(r[1]));
    }
    double slack = 2 * (index.length + 2) * 0x1p-52 * magnitude + Double.MIN_NORMAL;
    return new double[] {lo - slack, hi + slack};
  }

  /** A built program, the variables of the last hidden layer's units, its unsplit units. */
  private record Built(Program program, int[] terms, int free) { }

  /** The maps of {@code network}, from the cache when it is the last one seen. */
  private Plan plan(Network network) {
    if (network != cachedNetwork) {
      cachedPlan = planOf(network);
      cachedNetwork = network;
    }
    return cachedPlan;
  }

  private static Plan planOf(Network network) {
    List<Layer> layers = network.layers();
    long[] shape = network.inputShape().getShape();
    int inputs = (int) network.inputShape().size();
    double[] mean = new double[inputs];
    double[] std = new double[inputs];
    java.util.Arrays.fill(std, 1);
    int from = 0;
    if (!layers.isEmpty() && layers.getFirst() instanceof Normalize n) {
      int perChannel = shape.length == 3 ? (int) (shape[1] * shape[2]) : inputs;
      for (int i = 0; i < inputs; i++) {
        int c = n.mean().length == 1 ? 0 : i / perChannel;
        if (c >= n.mean().length) {
          return refused("its Normalize has " + n.mean().length + " channels");
        }
        mean[i] = n.mean()[c];
        std[i] = n.std()[c];
      }
      from = 1;
    }
    int affine = 0;
    for (Layer layer : layers.subList(from, layers.size())) {
      if (layer instanceof Linear || layer instanceof Conv2d) {
        affine++;
        if (affine > 1) {
          return refused("two affine layers follow each other");
        }
      } else if (layer instanceof Relu) {
        affine = 0;
      } else if (!(layer instanceof Flatten)) {
        return refused("it has a " + layer.describe() + " layer");
      }
    }
    try {
      return new Plan(AffineBlocks.of(layers.subList(from, layers.size()), shape).maps(), mean,
          std, null);
    } catch (IllegalArgumentException | IllegalStateException e) {
      return refused(e.getMessage());
    }
  }

  private static Plan refused(String why) {
    return new Plan(List.of(), null, null, "the exact leaf does not take this network: " + why);
  }

  /** The objective {@code g . v + g0} of one specification row, in exact decimals. */
  private record Objective(int[] index, BigDecimal[] coefficient, BigDecimal constant) {

    /** Row {@code c . y + d} over the outputs {@code y = last(terms)}, moved onto the terms. */
    static Objective of(AffineBlocks.Map last, int[] terms, double[] c, double d) {
      java.util.Map<Integer, BigDecimal> g = new java.util.TreeMap<>();
      BigDecimal constant = new BigDecimal(d);
      for (int k = 0; k < c.length; k++) {
        if (c[k] == 0) {
          continue;
        }
        BigDecimal ck = new BigDecimal(c[k]);
        constant = constant.add(ck.multiply(new BigDecimal(last.offset()[k])));
        int[] index = last.index()[k];
        double[] weight = last.weight()[k];
        for (int t = 0; t < index.length; t++) {
          int v = terms[index[t]];
          if (v >= 0 && weight[t] != 0) {
            g.merge(v, ck.multiply(new BigDecimal(weight[t])), BigDecimal::add);
          }
        }
      }
      int[] index = g.keySet().stream().mapToInt(Integer::intValue).toArray();
      return new Objective(index, g.values().toArray(new BigDecimal[0]), constant);
    }
  }

  /** The program under construction: its variables with their bounds, and its rows. */
  private static final class Program {
    private final MPSolver solver = MPSolver.createSolver("GLOP");
    private final List<MPVariable> variables = new ArrayList<>();
    private final List<double[]> bounds = new ArrayList<>();
    private final List<Row> rows = new ArrayList<>();
    private final List<MPConstraint> constraints = new ArrayList<>();
    private int inputCount;

    void delete() {
      solver.delete();
    }

    /** Minimises {@code objective} over the program. */
    MPSolver.ResultStatus solve(Objective objective) {
      setObjective(objective);
      return solver.solve();
    }

    int variable(double lo, double hi) {
      variables.add(solver.makeNumVar(lo, hi, ""));
      bounds.add(new double[] {lo, hi});
      return variables.size() - 1;
    }

    void row(int[] index, double[] coefficient, double lb, double ub) {
      MPConstraint c = solver.makeConstraint(lb, ub);
      for (int t = 0; t < index.length; t++) {
        c.setCoefficient(variables.get(index[t]),
            c.getCoefficient(variables.get(index[t])) + coefficient[t]);
      }
      rows.add(new Row(index, coefficient, lb, ub));
      constraints.add(c);
    }

    /** The input variables over the box, normalised: {@code (x - mean) / std}, outward. */
    int[] inputs(double[] lower, double[] upper, double[] mean, double[] std) {
      int[] terms = new int[lower.length];
      for (int i = 0; i < lower.length; i++) {
        terms[i] = variable(normalised(lower[i], mean[i], std[i], RoundingMode.FLOOR),
            normalised(upper[i], mean[i], std[i], RoundingMode.CEILING));
      }
      inputCount = lower.length;
      return terms;
    }

    /** Unit {@code j} of {@code map}: a variable in {@code [l, u]} tied to its inputs. */
    int affine(AffineBlocks.Map map, int j, int[] terms, double l, double u) {
      int z = variable(l, u);
      int[] index = map.index()[j];
      double[] weight = map.weight()[j];
      int count = 1;
      for (int t = 0; t < index.length; t++) {
        count += terms[index[t]] >= 0 && weight[t] != 0 ? 1 : 0;
      }
      int[] vars = new int[count];
      double[] coefficient = new double[count];
      vars[0] = z;
      coefficient[0] = 1;
      for (int t = 0, n = 1; t < index.length; t++) {
        if (terms[index[t]] >= 0 && weight[t] != 0) {
          vars[n] = terms[index[t]];
          coefficient[n++] = -weight[t];
        }
      }
      row(vars, coefficient, map.offset()[j], map.offset()[j]);
      return z;
    }

    /** The triangle relaxation of {@code y = relu(z)}, {@code z} in {@code [l, u]}. */
    int relu(int z, double l, double u) {
      int y = variable(0, u);
      row(new int[] {y, z}, new double[] {1, -1}, 0, Double.POSITIVE_INFINITY);
      double s = u / (u - l);
      BigDecimal slope = new BigDecimal(s);
      BigDecimal atLower = slope.multiply(new BigDecimal(l)).negate();
      BigDecimal atUpper = new BigDecimal(u).subtract(slope.multiply(new BigDecimal(u)));
      BigDecimal t = atLower.max(atUpper).max(BigDecimal.ZERO);
      row(new int[] {y, z}, new double[] {1, -s}, Double.NEGATIVE_INFINITY,
          ExactDoubles.up(t));
      return y;
    }

    void setObjective(Objective objective) {
      MPObjective o = solver.objective();
      o.clear();
      for (int t = 0; t < objective.index().length; t++) {
        o.setCoefficient(variables.get(objective.index()[t]),
            objective.coefficient()[t].doubleValue());
      }
      o.setOffset(objective.constant().doubleValue());
      o.setMinimization();
    }

    /** A lower bound of {@code objective} on every point of the rows and bounds, exactly. */
    BigDecimal safeBound(Objective objective) {
      BigDecimal[] reduced = new BigDecimal[variables.size()];
      java.util.Arrays.fill(reduced, BigDecimal.ZERO);
      for (int t = 0; t < objective.index().length; t++) {
        reduced[objective.index()[t]] = objective.coefficient()[t];
      }
      BigDecimal bound = objective.constant();
      for (int i = 0; i < rows.size(); i++) {
        double y = constraints.get(i).dualValue();
        Row row = rows.get(i);
        double side = y > 0 ? row.lb() : row.ub();
        if (y == 0 || !Double.isFinite(y) || !Double.isFinite(side)) {
          continue;
        }
        BigDecimal multiplier = new BigDecimal(y);
        bound = bound.add(multiplier.multiply(new BigDecimal(side)));
        for (int t = 0; t < row.index().length; t++) {
          int v = row.index()[t];
          reduced[v] = reduced[v].subtract(multiplier.multiply(
              new BigDecimal(row.coefficient()[t])));
        }
      }
      for (int v = 0; v < reduced.length; v++) {
        int sign = reduced[v].signum();
        if (sign != 0) {
          bound = bound.add(reduced[v].multiply(new BigDecimal(bounds.get(v)[sign > 0 ? 0 : 1])));
        }
      }
      return bound;
    }

    /** The solver's input point, back in the network's input space and clipped to the box. */
    double[] point(double[] lower, double[] upper, double[] mean, double[] std) {
      double[] x = new double[inputCount];
      for (int i = 0; i < x.length; i++) {
        double v = variables.get(i).solutionValue() * std[i] + mean[i];
        x[i] = Math.min(upper[i], Math.max(lower[i], v));
      }
      return x;
    }
  }

  /** {@code (x - mean) / std} rounded to a double in direction {@code mode}. */
  private static double normalised(double x, double mean, double std, RoundingMode mode) {
    if (mean == 0 && std == 1) {
      return x;
    }
    BigDecimal q = new BigDecimal(x).subtract(new BigDecimal(mean))
        .divide(new BigDecimal(std), new MathContext(QUOTIENT_DIGITS, mode));
    return mode == RoundingMode.FLOOR ? ExactDoubles.down(q) : ExactDoubles.up(q);
  }
}
