package org.certkit.tightness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.certkit.domain.ConcreteDomain;
import org.certkit.internal.Constants;
import org.certkit.internal.Gradients;
import org.certkit.internal.LayerOps;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.MaxPool;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.Sigmoid;
import org.certkit.net.Tanh;

/**
 * Local propagation tightness of a ReLU network around concrete inputs (Definition 3.6 of Mao et
 * al.): with the activation pattern fixed at the clean input, the ratio of the optimal-box slope
 * {@code |C J| r} to the layer-wise (IBP) slope {@code |C W_L| D |W_{L-1}| ... D |W_1| r}, per
 * output dimension.
 *
 * <p>Conventions, as in the reference implementation: the last Linear layer is merged with the
 * margin specification {@code C} (rows {@code e_k - e_label}; the identity over the classes when
 * no labels are given); BatchNorm uses its running statistics (an affine map); the input
 * normalisation divides by its standard deviation; {@code r} is the per-pixel half-width of the
 * input box after clipping to [0, 1] ({@code 1} everywhere for {@code eps = 0}, the plain
 * Definition 3.6); numerator and denominator are clamped at {@code 1e-8}, so tightness lies in
 * (0, 1]. The target's own margin row is zero and is excluded.
 *
 * <p>The numerator uses vector-Jacobian products: each example is replicated once per output
 * row and one backward pass gives every row of {@code C J} (no per-layer Jacobian is formed);
 * the denominator is one forward pass of radii through {@code |W|} with the ReLU mask of the
 * clean input. Results belong to the manager of the input.
 */
public final class LocalTightness {

  /** How ReLUs enter the linearisation. */
  public enum Activations {
    /** The activation pattern of the clean input (Definition 3.6): local tightness. */
    LOCAL,
    /**
     * Every ReLU replaced by the identity: the global tightness of the deep linear network with
     * the same weights (Definition 3.5), the "DLN" column of the paper's depth study.
     */
    LINEAR
  }

  private static final double CLAMP = 1e-8;

  private LocalTightness() {}

  /**
   * Tightness per example and output row.
   *
   * @param x inputs {@code [N, C, H, W]} in [0, 1]
   * @param labels int64 {@code [N]} for margin rows {@code y_k - y_label}, or null for the
   *     logits themselves
   * @param eps input radius used for clipping at the pixel range; 0 for a uniform radius
   * @return {@code [N, R]} with {@code R = K} rows; the label's own row (when labels are given)
   *     is NaN
   */
  public static NDArray perDimension(Network network, NDArray x, NDArray labels, double eps) {
    return perDimension(network, x, labels, eps, Activations.LOCAL);
  }

  /**
   * Tightness per example and output row, with the given treatment of the ReLUs.
   *
   * @see #perDimension(Network, NDArray, NDArray, double)
   */
  public static NDArray perDimension(Network network, NDArray x, NDArray labels, double eps,
      Activations activations) {
    if (!network.isChain()) {
      throw new IllegalArgumentException("propagation tightness (Definition 3.6) is defined for"
          + " chain networks; " + network.architecture() + " is a graph");
    }
    NDManager manager = x.getManager();
    int classes = network.numClasses();
    List<Layer> layers = activations == Activations.LOCAL ? network.layers()
        : network.layers().stream().filter(l -> !(l instanceof Relu)).toList();
    NDArray radius = inputRadius(x, eps);
    NDArray optimal = optimalSlope(layers, x, labels, radius, classes);
    NDArray layerwise = layerwiseSlope(layers, x, labels, radius);
    NDArray clamp = Constants.scalar(optimal, CLAMP);
    NDArray tightness = optimal.maximum(clamp).div(layerwise.maximum(clamp))
        .minimum(Constants.scalar(optimal, 1));
    if (labels != null) {
      NDArray isLabel = labels.oneHot(classes).toType(DataType.BOOLEAN, false);
      tightness = ai.djl.ndarray.NDArrays.where(isLabel,
          manager.full(tightness.getShape(), Float.NaN, tightness.getDataType()), tightness);
    }
    return tightness;
  }

  /**
   * Mean tightness of each example over its output rows (label row excluded), with the given
   * treatment of the ReLUs.
   *
   * @return {@code [N]}
   */
  public static double[] perExample(Network network, NDArray x, NDArray labels, double eps,
      Activations activations) {
    double[] values = perDimension(network, x, labels, eps, activations)
        .toType(DataType.FLOAT64, false).toDoubleArray();
    int n = (int) x.getShape().get(0);
    int rows = values.length / n;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      int count = 0;
      for (int k = 0; k < rows; k++) {
        double v = values[i * rows + k];
        if (!Double.isNaN(v)) {
          sum += v;
          count++;
        }
      }
      out[i] = sum / count;
    }
    return out;
  }

  private static NDArray inputRadius(NDArray x, double eps) {
    if (!(eps >= 0)) {
      throw new IllegalArgumentException("eps must be >= 0, got " + eps);
    }
    if (eps == 0) {
      return x.onesLike();
    }
    return x.add(eps).clip(0, 1).sub(x.sub(eps).clip(0, 1)).divi(Constants.scalar(x, 2));
  }

  /** {@code |C J| r} per example and row: [N, K]. */
  private static NDArray optimalSlope(List<Layer> layers, NDArray x, NDArray labels,
      NDArray radius, int classes) {
    NDManager manager = x.getManager();
    long n = x.getShape().get(0);
    try (NDManager scope = manager.newSubManager()) {
      // Replica (i, k) of example i selects output row k of the specification.
      NDArray replicas = x.expandDims(1).repeat(1, classes).reshape(
          new ai.djl.ndarray.types.Shape(n * classes).addAll(x.getShape().slice(1)));
      replicas.attach(scope);
      NDArray selector = scope.eye(classes, classes, 0, x.getDataType()).expandDims(0)
          .repeat(0, n).reshape(n * classes, classes);
      if (labels != null) {
        NDArray target = labels.oneHot(classes).toType(x.getDataType(), false).expandDims(1)
            .repeat(1, classes).reshape(n * classes, classes);
        target.attach(scope);
        selector = selector.sub(target);
      }
      NDArray gradient;
      try (GradientCollector collector = Gradients.collector()) {
        replicas.setRequiresGradient(true);
        NDArray logits = ConcreteDomain.forward(layers, 0, replicas,
            BatchStatistics.evaluation());
        collector.backward(logits.mul(selector).sum());
        gradient = replicas.getGradient();
        gradient.attach(scope);
      }
      NDArray rows = gradient.abs().reshape(n, classes, -1);
      NDArray slope = rows.mul(radius.reshape(n, 1, -1)).sum(new int[] {2});
      slope.attach(manager);
      return slope;
    }
  }

  /** Definition 3.6 takes piecewise-linear networks whose pattern is fixed by the clean input. */
  private static IllegalArgumentException unsupported(Layer layer) {
    return new IllegalArgumentException("propagation tightness is defined for networks of"
        + " affine layers and ReLU; the network has " + layer.describe());
  }

  /** {@code |C W_L| D |W_{L-1}| ... D |W_1| r} per example and row: [N, K]. */
  private static NDArray layerwiseSlope(List<Layer> layers, NDArray x, NDArray labels,
      NDArray radius) {
    if (!(layers.getLast() instanceof Linear last)) {
      throw new IllegalArgumentException("tightness needs a Linear last layer, got "
          + layers.getLast().describe());
    }
    NDManager m = x.getManager();
    BatchStatistics eval = BatchStatistics.evaluation();
    NDArray h = x;
    NDArray r = radius;
    for (int i = 0; i < layers.size() - 1; i++) {
      Layer layer = layers.get(i);
      r = switch (layer) {
        case Linear l -> LayerOps.linear(r, LayerOps.abs(l.weight(), m, r), null);
        case Conv2d c -> LayerOps.conv2d(r, LayerOps.abs(c.weight(), m, r), null, c.stride(),
            c.padding());
        case Relu relu -> r.mul(h.gt(0).toType(r.getDataType(), false));
        case Flatten f -> r.reshape(r.getShape().get(0), -1);
        case Normalize norm -> r.div(LayerOps.perChannel(norm.std(), r));
        case BatchNorm b -> r.mul(b.affine(eval.recordedOrRunning(i, b), r).scale().abs());
        case Add a -> throw new IllegalStateException("unreachable: graphs are refused above");
        case AvgPool p -> LayerOps.avgPool(r, p);
        case MaxPool p -> throw unsupported(layer);
        case Sigmoid sg -> throw unsupported(layer);
        case Tanh t -> throw unsupported(layer);
      };
      h = ConcreteDomain.apply(layer, i, h, eval);
    }
    NDArray weight = LayerOps.cast(last.weight(), r, m);
    if (labels == null) {
      return LayerOps.linear(r, LayerOps.abs(weight, m, r), null);
    }
    NDArray merged = LayerOps.owned(weight.get(labels), m).expandDims(1).sub(weight).abs();
    return merged.matMul(r.expandDims(2)).squeeze(2);
  }
}
