package org.certkit.milp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.ortools.linearsolver.MPConstraint;
import com.google.ortools.linearsolver.MPObjective;
import com.google.ortools.linearsolver.MPSolver;
import com.google.ortools.linearsolver.MPVariable;
import java.util.Iterator;
import java.util.List;
import org.certkit.net.BatchNorm;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;

/**
 * The mixed-integer linear program of Tjeng, Xiao and Tedrake (2019) for a feed-forward ReLU
 * network over an input box, built into an OR-Tools solver.
 *
 * <p>Each unit of each layer is an {@link AffineTerm} {@code scale * v + offset} of one solver
 * variable {@code v} (or a constant), so the elementwise affine layers (Normalize, BatchNorm with
 * running statistics) and Flatten create no variables. Linear and Conv2d create one continuous
 * variable per output unit, tied to their inputs by an equality (a convolution is expanded into
 * one sparse row per output unit over its receptive field, zero padding omitted). A ReLU with
 * pre-activation bounds {@code [l, u]} is the constant 0 when {@code u <= 0}, the identity when
 * {@code l >= 0}, and otherwise a new variable {@code y} in {@code [0, u]} with a binary
 * {@code a}: {@code y >= x}, {@code y <= u a}, {@code y <= x - l (1 - a)} (Tjeng et al. 2019,
 * eq. 6). Weights are read as float32 and used as float64.
 */
final class MixedIntegerEncoding {

  /** {@code scale * variable + offset}; a null variable means the constant {@code offset}. */
  record AffineTerm(MPVariable variable, double scale, double offset) {
    static final AffineTerm ZERO = new AffineTerm(null, 0, 0);

    AffineTerm times(double factor, double shift) {
      return new AffineTerm(variable, scale * factor, offset * factor + shift);
    }
  }

  /** The unit layout between layers: {@code C x H x W}, or {@code channels} features when flat. */
  private record Layout(int channels, int height, int width, boolean flat) {
    int size() {
      return channels * height * width;
    }

    int channelOf(int unit) {
      return unit / (height * width);
    }
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
   * Encodes {@code layers} into {@code solver}.
   *
   * @param inputShape {@code (C, H, W)} or {@code (features)}
   * @param lower lower end of the input box, one value per input unit
   * @param upper upper end of the input box
   * @param preActivations {@code [lower, upper]} of the input of every ReLU, in layer order
   */
  static MixedIntegerEncoding build(MPSolver solver, List<Layer> layers, long[] inputShape,
      double[] lower, double[] upper, List<double[][]> preActivations) {
    Layout layout = switch (inputShape.length) {
      case 1 -> new Layout((int) inputShape[0], 1, 1, true);
      case 3 -> new Layout((int) inputShape[0], (int) inputShape[1], (int) inputShape[2], false);
      default -> throw new IllegalArgumentException(
          "MILP bounds need an input shape (C, H, W) or (features), got rank "
              + inputShape.length);
    };
    MPVariable[] inputs = new MPVariable[lower.length];
    AffineTerm[] terms = new AffineTerm[lower.length];
    for (int i = 0; i < lower.length; i++) {
      inputs[i] = solver.makeNumVar(lower[i], upper[i], "");
      terms[i] = new AffineTerm(inputs[i], 1, 0);
    }
    Iterator<double[][]> bounds = preActivations.iterator();
    int unstable = 0;
    for (int index = 0; index < layers.size(); index++) {
      Layer layer = layers.get(index);
      switch (layer) {
        case Linear l -> {
          if (!layout.flat() || layout.size() != l.inFeatures()) {
            throw mismatch(index, layer, layout);
          }
          terms = linear(solver, terms, values(l.weight()), values(l.bias()));
          layout = new Layout(l.outFeatures(), 1, 1, true);
        }
        case Conv2d c -> {
          if (layout.flat() || layout.channels() != c.inChannels()) {
            throw mismatch(index, layer, layout);
          }
          Layout out = new Layout(c.outChannels(), c.outputSize(layout.height()),
              c.outputSize(layout.width()), false);
          terms = conv2d(solver, terms, c, layout, out);
          layout = out;
        }
        case Relu r -> {
          double[][] lu = bounds.next();
          if (lu[0].length != terms.length) {
            throw new IllegalStateException("ReLU at layer " + index + " has " + terms.length
                + " units but its interval bounds have " + lu[0].length);
          }
          for (int k = 0; k < terms.length; k++) {
            double l = lu[0][k];
            double u = lu[1][k];
            if (u <= 0) {
              terms[k] = AffineTerm.ZERO;
            } else if (l < 0) {
              terms[k] = relu(solver, terms[k], l, u);
              unstable++;
            }
          }
        }
        case Flatten f -> layout = new Layout(layout.size(), 1, 1, true);
        case Normalize n -> {
          float[] mean = n.mean();
          float[] std = n.std();
          for (int k = 0; k < terms.length; k++) {
            int c = channel(layout, k, mean.length, true, index, layer);
            terms[k] = terms[k].times(1.0 / std[c], -(double) mean[c] / std[c]);
          }
        }
        case BatchNorm b -> {
          double[] gamma = values(b.gamma());
          double[] beta = values(b.beta());
          double[] mean = values(b.runningMean());
          double[] variance = values(b.runningVar());
          for (int k = 0; k < terms.length; k++) {
            int c = channel(layout, k, gamma.length, false, index, layer);
            double scale = gamma[c] / Math.sqrt(variance[c] + b.epsilon());
            terms[k] = terms[k].times(scale, beta[c] - mean[c] * scale);
          }
        }
      }
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

  /** The values of a float32 or float64 parameter array (ONNX models may bring float64). */
  private static double[] values(NDArray array) {
    if (array.getDataType() == DataType.FLOAT64) {
      return array.toDoubleArray();
    }
    float[] floats = array.toFloatArray();
    double[] out = new double[floats.length];
    for (int k = 0; k < floats.length; k++) {
      out[k] = floats[k];
    }
    return out;
  }

  private static AffineTerm[] linear(MPSolver solver, AffineTerm[] in, double[] weight,
      double[] bias) {
    int inFeatures = in.length;
    AffineTerm[] out = new AffineTerm[bias.length];
    for (int j = 0; j < bias.length; j++) {
      MPVariable y = solver.makeNumVar(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, "");
      double rhs = bias[j];
      MPConstraint row = solver.makeConstraint();
      row.setCoefficient(y, 1);
      for (int i = 0; i < inFeatures; i++) {
        rhs += subtract(row, in[i], weight[j * inFeatures + i]);
      }
      row.setBounds(rhs, rhs);
      out[j] = new AffineTerm(y, 1, 0);
    }
    return out;
  }

  private static AffineTerm[] conv2d(MPSolver solver, AffineTerm[] in, Conv2d conv, Layout from,
      Layout to) {
    double[] weight = values(conv.weight());
    double[] bias = values(conv.bias());
    int k = conv.kernelSize();
    int s = conv.stride();
    int p = conv.padding();
    AffineTerm[] out = new AffineTerm[to.size()];
    for (int o = 0; o < to.channels(); o++) {
      for (int row = 0; row < to.height(); row++) {
        for (int col = 0; col < to.width(); col++) {
          MPVariable y = solver.makeNumVar(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
              "");
          double rhs = bias[o];
          MPConstraint equality = solver.makeConstraint();
          equality.setCoefficient(y, 1);
          for (int c = 0; c < from.channels(); c++) {
            for (int ki = 0; ki < k; ki++) {
              int h = row * s - p + ki;
              if (h < 0 || h >= from.height()) {
                continue;
              }
              for (int kj = 0; kj < k; kj++) {
                int w = col * s - p + kj;
                if (w < 0 || w >= from.width()) {
                  continue;
                }
                double wt = weight[((o * from.channels() + c) * k + ki) * k + kj];
                rhs += subtract(equality, in[(c * from.height() + h) * from.width() + w], wt);
              }
            }
          }
          equality.setBounds(rhs, rhs);
          out[(o * to.height() + row) * to.width() + col] = new AffineTerm(y, 1, 0);
        }
      }
    }
    return out;
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

  /**
   * The channel of {@code unit} for a per-channel layer with {@code channels} channels; on flat
   * inputs every feature is a channel, or, when {@code broadcast} (Normalize), one channel serves
   * all.
   */
  private static int channel(Layout layout, int unit, int channels, boolean broadcast, int index,
      Layer layer) {
    if (layout.flat()) {
      if (broadcast && channels == 1) {
        return 0;
      }
      if (channels == layout.size()) {
        return unit;
      }
    } else if (channels == layout.channels()) {
      return layout.channelOf(unit);
    }
    throw mismatch(index, layer, layout);
  }

  private static IllegalArgumentException mismatch(int index, Layer layer, Layout layout) {
    return new IllegalArgumentException("layer " + index + " (" + layer.describe()
        + ") does not fit its input " + (layout.flat() ? "of " + layout.size() + " features"
            : layout.channels() + "x" + layout.height() + "x" + layout.width()));
  }
}
