package org.certkit.tightness.theory;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A deep linear network (DLN) {@code f(x) = W_L ... W_1 x} with its optimal and layer-wise
 * (IBP) box radii in closed form (Theorem 3.2 of Mao et al.): for an input box of radius
 * {@code eps} (one half-width per input coordinate) the optimal box has radius
 * {@code |W_L ... W_1| eps} and the layer-wise box {@code |W_L| ... |W_1| eps}; both are centred
 * at {@code f(x)}, so no centre is needed.
 *
 * <p>Weights are dense {@code double[rows][columns]} matrices, {@code W_l} of shape
 * {@code [d_l, d_{l-1}]}; the network copies them when built and never modifies them. Products
 * are computed in double precision on the calling thread; the optimal radius costs one matrix
 * product chain, the layer-wise radius only matrix-vector products.
 */
public final class DeepLinearNetwork {

  private final List<double[][]> weights;

  /**
   * A DLN with layers {@code W_1, ..., W_L} in the order they are applied.
   *
   * @param weights {@code W_1} first; each rectangular, {@code W_{l+1}} with as many columns as
   *     {@code W_l} has rows; copied, not modified
   * @throws IllegalArgumentException naming the layer whose shape is wrong
   */
  public DeepLinearNetwork(List<double[][]> weights) {
    if (weights.isEmpty()) {
      throw new IllegalArgumentException("a deep linear network needs at least one layer");
    }
    List<double[][]> copies = new ArrayList<>(weights.size());
    for (int l = 0; l < weights.size(); l++) {
      double[][] w = weights.get(l);
      if (w.length == 0 || w[0].length == 0) {
        throw new IllegalArgumentException("layer " + (l + 1) + " has an empty weight matrix");
      }
      double[][] copy = new double[w.length][];
      for (int i = 0; i < w.length; i++) {
        if (w[i].length != w[0].length) {
          throw new IllegalArgumentException("layer " + (l + 1) + ": row " + i + " has "
              + w[i].length + " columns, row 0 has " + w[0].length);
        }
        copy[i] = w[i].clone();
      }
      if (l > 0 && copy[0].length != copies.get(l - 1).length) {
        throw new IllegalArgumentException("layer " + (l + 1) + " takes " + copy[0].length
            + " inputs but layer " + l + " has " + copies.get(l - 1).length + " outputs");
      }
      copies.add(copy);
    }
    this.weights = List.copyOf(copies);
  }

  /**
   * A DLN with i.i.d. standard Gaussian weights, as at initialisation in section 3.3 (tightness
   * does not depend on the variances, so they are 1).
   *
   * @param dimensions {@code d_0, d_1, ..., d_L}: input, internal and output widths
   * @param random the source of the weights; advanced, row by row from {@code W_1}
   */
  public static DeepLinearNetwork gaussian(List<Integer> dimensions, RandomGenerator random) {
    if (dimensions.size() < 2) {
      throw new IllegalArgumentException("need at least an input and an output dimension, got "
          + dimensions);
    }
    List<double[][]> weights = new ArrayList<>();
    for (int l = 1; l < dimensions.size(); l++) {
      weights.add(RandomMatrices.gaussian(dimensions.get(l), dimensions.get(l - 1), random));
    }
    return new DeepLinearNetwork(weights);
  }

  /** The number of linear layers {@code L}. */
  public int depth() {
    return weights.size();
  }

  /** The input dimension {@code d_0}. */
  public int inputDimension() {
    return weights.get(0)[0].length;
  }

  /** The output dimension {@code d_L}. */
  public int outputDimension() {
    return weights.get(weights.size() - 1).length;
  }

  /** A copy of {@code W_l} for {@code 1 <= l <= L}. */
  public double[][] weight(int layer) {
    if (layer < 1 || layer > depth()) {
      throw new IllegalArgumentException("layer must be in [1, " + depth() + "], got " + layer);
    }
    double[][] w = weights.get(layer - 1);
    double[][] copy = new double[w.length][];
    for (int i = 0; i < w.length; i++) {
      copy[i] = w[i].clone();
    }
    return copy;
  }

  /** The end-to-end matrix {@code W_L ... W_1}, shape {@code [d_L, d_0]}, newly allocated. */
  public double[][] product() {
    double[][] product = weights.get(0);
    for (int l = 1; l < weights.size(); l++) {
      product = multiply(weights.get(l), product);
    }
    return product == weights.get(0) ? weight(1) : product;
  }

  /**
   * The optimal box radius {@code |W_L ... W_1| eps} (Theorem 3.2, equation 4).
   *
   * @param epsilon input radius per coordinate, length {@code d_0}, non-negative; not modified
   * @return radius per output coordinate, length {@code d_L}
   */
  public double[] optimalRadius(double[] epsilon) {
    checkRadius(epsilon);
    return absoluteTimes(product(), epsilon);
  }

  /**
   * The layer-wise (IBP) box radius {@code |W_L| ... |W_1| eps} (Theorem 3.2, equation 4),
   * propagated one layer at a time as IBP does.
   *
   * @param epsilon input radius per coordinate, length {@code d_0}, non-negative; not modified
   * @return radius per output coordinate, length {@code d_L}
   */
  public double[] layerwiseRadius(double[] epsilon) {
    checkRadius(epsilon);
    double[] radius = epsilon;
    for (double[][] w : weights) {
      radius = absoluteTimes(w, radius);
    }
    return radius == epsilon ? epsilon.clone() : radius;
  }

  /**
   * Global propagation tightness (Definition 3.5) for the input radius {@code eps}: both radii
   * per output dimension and their aggregates.
   *
   * @param epsilon input radius per coordinate, length {@code d_0}, non-negative; not modified
   */
  public GlobalTightness tightness(double[] epsilon) {
    return new GlobalTightness(optimalRadius(epsilon), layerwiseRadius(epsilon));
  }

  /** Matrix product {@code a b}; loops ordered so that the inner loop runs along rows of b. */
  private static double[][] multiply(double[][] a, double[][] b) {
    int inner = b.length;
    if (a[0].length != inner) {
      throw new IllegalArgumentException("cannot multiply [" + a.length + ", " + a[0].length
          + "] by [" + b.length + ", " + b[0].length + "]");
    }
    int columns = b[0].length;
    double[][] c = new double[a.length][columns];
    for (int i = 0; i < a.length; i++) {
      double[] ci = c[i];
      double[] ai = a[i];
      for (int k = 0; k < inner; k++) {
        double aik = ai[k];
        double[] bk = b[k];
        for (int j = 0; j < columns; j++) {
          ci[j] += aik * bk[j];
        }
      }
    }
    return c;
  }

  /** {@code |m| v} for a non-negative vector {@code v}. */
  private static double[] absoluteTimes(double[][] m, double[] v) {
    double[] out = new double[m.length];
    for (int i = 0; i < m.length; i++) {
      double sum = 0;
      double[] row = m[i];
      for (int j = 0; j < row.length; j++) {
        sum += Math.abs(row[j]) * v[j];
      }
      out[i] = sum;
    }
    return out;
  }

  private void checkRadius(double[] epsilon) {
    if (epsilon.length != inputDimension()) {
      throw new IllegalArgumentException("epsilon has " + epsilon.length
          + " coordinates, the network takes " + inputDimension());
    }
    for (int j = 0; j < epsilon.length; j++) {
      if (!(epsilon[j] >= 0) || Double.isInfinite(epsilon[j])) {
        throw new IllegalArgumentException("epsilon[" + j + "] = " + epsilon[j]
            + " is not a finite non-negative radius");
      }
    }
  }

  /** The weights, not copied, for the estimators of this package (read only). */
  double[][] weightView(int layer) {
    return weights.get(layer - 1);
  }
}
