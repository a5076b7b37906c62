package org.certkit.milp;

import com.google.ortools.linearsolver.MPConstraint;
import com.google.ortools.linearsolver.MPObjective;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPVariable;
import java.util.List;

/**
 * The mixed-integer linear program of Tjeng, Xiao and Tedrake (2019) for a feed-forward ReLU
 * network over an input box, built into an OR-Tools solver.
 *
 * <p>The network comes as {@link AffineBlocks}: every affine map between two ReLUs (convolutions
 * as sparse rows over their receptive fields, elementwise affine layers folded in) creates one
 * continuous variable per output unit, tied to its inputs by an equality. Each unit of a layer is
 * an {@link AffineTerm} {@code scale * v + offset} of one solver variable {@code v} (or a
 * constant). A ReLU with pre-activation bounds {@code [l, u]} is the constant 0 when
 * {@code u <= 0} (its pre-activation then gets no variable), the identity when {@code l >= 0},
 * and otherwise a new variable {@code y} in {@code [0, u]} with a binary {@code a}:
 * {@code y >= x}, {@code y <= u a}, {@code y <= x - l (1 - a)} (Tjeng et al. 2019, eq. 6).
 */
final class MixedIntegerEncoding {

  /** {@code scale * variable + offset}; a null variable means the constant {@code offset}. */
  record AffineTerm(MPVariable variable, double scale, double offset) {
    static final AffineTerm ZERO = new AffineTerm(null, 0, 0);
  }

  private final MPSolver solver;
  private final AffineTerm[] outputs;
  private final MPVariable[] inputs;
  private final int unstableRelus;

  private MixedIntegerEncoding(MPSolver solver, MPVariable[] inputs, AffineTerm[] outputs,
      int unstableRelus) {
    this.solver = solver;
    this.inputs = inputs;
    this.outputs = outputs;
    this.unstableRelus = unstableRelus;
  }

  /**
   * Encodes {@code blocks} into {@code solver}.
   *
   * @param lower lower end of the input box, one value per input unit
   * @param upper upper end of the input box
   * @param preActivations {@code [lower, upper]} of the input of every ReLU layer, in order
   */
  static MixedIntegerEncoding build(MPSolver solver, AffineBlocks blocks, double[] lower,
      double[] upper, List<double[][]> preActivations) {
    MPVariable[] inputs = new MPVariable[lower.length];
    AffineTerm[] terms = new AffineTerm[lower.length];
    for (int i = 0; i < lower.length; i++) {
      inputs[i] = solver.makeNumVar(lower[i], upper[i], "");
      terms[i] = new AffineTerm(inputs[i], 1, 0);
    }
    List<AffineBlocks.Map> maps = blocks.maps();
    if (preActivations.size() != blocks.reluLayers()) {
      throw new IllegalArgumentException("need bounds for " + blocks.reluLayers()
          + " ReLU layers, got " + preActivations.size());
    }
    int unstable = 0;
    for (int k = 0; k < maps.size(); k++) {
      AffineBlocks.Map map = maps.get(k);
      if (map.inputs() != terms.length) {
        throw new IllegalStateException("block " + k + " takes " + map.inputs()
            + " inputs but the layer before has " + terms.length + " units");
      }
      boolean last = k == maps.size() - 1;
      double[][] lu = last ? null : preActivations.get(k);
      if (lu != null && lu[0].length != map.outputs()) {
        throw new IllegalStateException("ReLU layer " + k + " has " + map.outputs()
            + " units but its bounds have " + lu[0].length);
      }
      AffineTerm[] next = new AffineTerm[map.outputs()];
      for (int j = 0; j < next.length; j++) {
        if (lu != null && lu[1][j] <= 0) {
          next[j] = AffineTerm.ZERO;
          continue;
        }
        AffineTerm z = affine(solver, terms, map, j);
        if (lu == null || lu[0][j] >= 0) {
          next[j] = z;
        } else {
          next[j] = relu(solver, z, lu[0][j], lu[1][j]);
          unstable++;
        }
      }
      terms = next;
    }
    return new MixedIntegerEncoding(solver, inputs, terms, unstable);
  }

  /** The solver holding the program. */
  MPSolver solver() {
    return solver;
  }

  /** Number of outputs of the network. */
  int outputCount() {
    return outputs.length;
  }

  /** Number of binary variables, one per unstable ReLU. */
  int unstableRelus() {
    return unstableRelus;
  }

  /** The input variables, in the network's input layout. */
  MPVariable[] inputs() {
    return inputs.clone();
  }

  /** Sets the objective to {@code c^T y} over the outputs {@code y}, minimised or maximised. */
  void setObjective(double[] c, boolean minimise) {
    if (c.length != outputs.length) {
      throw new IllegalArgumentException("objective has " + c.length
          + " coefficients but the network has " + outputs.length + " outputs");
    }
    for (double ck : c) {
      if (!Double.isFinite(ck)) {
        throw new IllegalArgumentException("objective coefficients must be finite, got " + ck);
      }
    }
    MPObjective objective = solver.objective();
    objective.clear();
    double offset = 0;
    for (int k = 0; k < c.length; k++) {
      AffineTerm t = outputs[k];
      offset += c[k] * t.offset();
      if (t.variable() != null && c[k] != 0) {
        objective.setCoefficient(t.variable(),
            objective.getCoefficient(t.variable()) + c[k] * t.scale());
      }
    }
    objective.setOffset(offset);
    if (minimise) {
      objective.setMinimization();
    } else {
      objective.setMaximization();
    }
  }

  /**
   * Adds the constraint {@code c^T y <= limit} over the outputs {@code y} and clears the
   * objective, so that a solve asks whether any point of the box meets it.
   */
  void requireAtMost(double[] c, double limit) {
    if (c.length != outputs.length) {
      throw new IllegalArgumentException("constraint has " + c.length
          + " coefficients but the network has " + outputs.length + " outputs");
    }
    MPConstraint row = solver.makeConstraint();
    double offset = 0;
    for (int k = 0; k < c.length; k++) {
      AffineTerm t = outputs[k];
      offset += c[k] * t.offset();
      if (t.variable() != null && c[k] != 0) {
        row.setCoefficient(t.variable(), row.getCoefficient(t.variable()) + c[k] * t.scale());
      }
    }
    row.setBounds(Double.NEGATIVE_INFINITY, limit - offset);
    solver.objective().clear();
  }

  /** Unit {@code j} of {@code map} over {@code in}: a new variable tied by an equality. */
  private static AffineTerm affine(MPSolver solver, AffineTerm[] in, AffineBlocks.Map map,
      int j) {
    MPVariable y = solver.makeNumVar(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, "");
    double rhs = map.offset()[j];
    MPConstraint row = solver.makeConstraint();
    row.setCoefficient(y, 1);
    int[] index = map.index()[j];
    double[] weight = map.weight()[j];
    for (int t = 0; t < index.length; t++) {
      rhs += subtract(row, in[index[t]], weight[t]);
    }
    row.setBounds(rhs, rhs);
    return new AffineTerm(y, 1, 0);
  }

  /**
   * Adds {@code -coefficient * term} to the left side of {@code row}; returns what must move to
   * the right side ({@code coefficient * offset}).
   */
  private static double subtract(MPConstraint row, AffineTerm term, double coefficient) {
    if (term.variable() != null && coefficient != 0) {
      row.setCoefficient(term.variable(),
          row.getCoefficient(term.variable()) - coefficient * term.scale());
    }
    return coefficient * term.offset();
  }

  /** Tjeng et al. (2019), eq. 6, for {@code x = term} with {@code l < 0 < u}. */
  private static AffineTerm relu(MPSolver solver, AffineTerm x, double l, double u) {
    MPVariable y = solver.makeNumVar(0, u, "");
    MPVariable a = solver.makeBoolVar("");
    // y - x >= 0
    MPConstraint aboveInput = solver.makeConstraint();
    aboveInput.setCoefficient(y, 1);
    double rhs = subtract(aboveInput, x, 1);
    aboveInput.setBounds(rhs, Double.POSITIVE_INFINITY);
    // y - u a <= 0
    MPConstraint offWhenInactive = solver.makeConstraint(Double.NEGATIVE_INFINITY, 0);
    offWhenInactive.setCoefficient(y, 1);
    offWhenInactive.setCoefficient(a, -u);
    // y - x - l a <= -l
    MPConstraint inputWhenActive = solver.makeConstraint();
    inputWhenActive.setCoefficient(y, 1);
    inputWhenActive.setCoefficient(a, -l);
    double shift = subtract(inputWhenActive, x, 1);
    inputWhenActive.setBounds(Double.NEGATIVE_INFINITY, shift - l);
    return new AffineTerm(y, 1, 0);
  }
}
