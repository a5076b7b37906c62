package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.certkit.internal.LayerOps;
import org.certkit.loss.Losses;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;

/**
 * Interval bound propagation (IBP): the box domain pushed layer by layer through a network.
 *
 * <p>Affine layers map a box {@code (c, r)} to {@code (W c + b, |W| r)}; ReLU maps the bounds
 * {@code [l, u]} to {@code [relu(l), relu(u)]}; BatchNorm is the affine map of the statistics in
 * use. This is the layer-wise box of Gowal et al. (2018), the object whose tightness the first
 * paper studies; two passes (centre and radius) per layer.
 *
 * <p>Two rounding modes:
 *
 * <ul>
 *   <li>{@link Rounding#NEAREST}: plain float32 or float64 arithmetic, differentiable, used for
 *       training. Not sound under floating point.
 *   <li>{@link Rounding#OUTWARD}: float64 inputs only; after every operation the radius is widened
 *       by a rigorous bound on the rounding error of that operation ({@code gamma_n} times the sum
 *       of magnitudes for an n-term dot product, Higham's bound, doubled), so the box contains the
 *       image of the input box under the network evaluated in exact arithmetic. Used to certify.
 * </ul>
 *
 * <p>All results belong to the manager of the input box's centre.
 */
public final class IntervalDomain {

  /** How rounding errors of the propagation itself are treated. */
  public enum Rounding {
    /** Round to nearest, no allowance: fast and differentiable, not sound. */
    NEAREST,
    /** float64 with a rigorous per-operation rounding allowance: sound. */
    OUTWARD
  }

  /** Unit roundoff of float64. */
  private static final double UNIT_ROUNDOFF = 0x1p-53;

  private final Rounding rounding;

  /** A domain with the given rounding mode. */
  public IntervalDomain(Rounding rounding) {
    this.rounding = rounding;
  }

  /** The rounding mode. */
  public Rounding rounding() {
    return rounding;
  }

  /**
   * Propagates {@code input} through all layers.
   *
   * @param input batch-first box in the network's input space ([0, 1] pixels)
   * @param stats BatchNorm statistics; in training they must already be recorded by a clean pass
   * @return the output box {@code [N, classes]}
   */
  public Box propagate(Network network, Box input, BatchStatistics stats) {
    return propagate(network.layers(), 0, input, stats, box -> {});
  }

  /**
   * Propagates {@code input} through {@code layers}, whose first has index {@code firstIndex} in
   * the network, reporting the box at the input of every ReLU to {@code preActivations}.
   */
  public Box propagate(List<Layer> layers, int firstIndex, Box input, BatchStatistics stats,
      Consumer<Box> preActivations) {
    checkType(input);
    // The input box itself was computed with rounding (x - eps, centre, radius): widen it first.
    Box box = widened(input, () -> input.centre().abs().add(input.radius()), 4);
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      if (layer instanceof Relu) {
        preActivations.accept(box);
      }
      box = apply(layer, firstIndex + i, box, stats);
    }
    return box;
  }

  /** One layer on a box. */
  public Box apply(Layer layer, int index, Box box, BatchStatistics stats) {
    NDArray c = box.centre();
    NDArray r = box.radius();
    NDManager m = c.getManager();
    return switch (layer) {
      case Linear l -> {
        NDArray absW = LayerOps.abs(l.weight(), m, c);
        NDArray centre = LayerOps.linear(c, l.weight(), l.bias());
        NDArray radius = LayerOps.linear(r, absW, null);
        yield affineAllowance(centre, radius, () -> LayerOps.linear(c.abs().addi(r), absW,
            LayerOps.abs(l.bias(), m, c)), l.inFeatures() + 1);
      }
      case Conv2d cv -> {
        NDArray absW = LayerOps.abs(cv.weight(), m, c);
        NDArray centre = LayerOps.conv2d(c, cv.weight(), cv.bias(), cv.stride(), cv.padding());
        NDArray radius = LayerOps.conv2d(r, absW, null, cv.stride(), cv.padding());
        int fanIn = cv.inChannels() * cv.kernelSize() * cv.kernelSize();
        yield affineAllowance(centre, radius, () -> LayerOps.conv2d(c.abs().addi(r), absW,
            LayerOps.abs(cv.bias(), m, c), cv.stride(), cv.padding()), fanIn + 1);
      }
      case Relu rl -> {
        NDArray lower = Activation.relu(c.sub(r));
        NDArray upper = Activation.relu(c.add(r));
        Box out = Box.fromBounds(lower, upper);
        yield widened(out, () -> c.abs().addi(r), 8);
      }
      case Flatten f -> new Box(c.reshape(c.getShape().get(0), -1),
          r.reshape(r.getShape().get(0), -1));
      case Normalize n -> {
        NDArray std = LayerOps.perChannel(n.std(), c);
        Box out = new Box(c.sub(LayerOps.perChannel(n.mean(), c)).divi(std), r.div(std));
        yield widened(out, () -> out.centre().abs().add(out.radius()), 4);
      }
      case BatchNorm b -> {
        NDArray[] scaleShift = ConcreteDomain.scaleAndShift(b, stats.recordedOrRunning(index, b),
            c);
        NDArray absScale = scaleShift[0].abs();
        NDArray centre = stats.isTraining() || rounding == Rounding.OUTWARD
            ? c.mul(scaleShift[0]).addi(scaleShift[1])
            : ConcreteDomain.batchNormFused(b, c);
        Box out = new Box(centre, r.mul(absScale));
        // scale and shift carry their own rounding (a square root, a division, a product).
        yield widened(out, () -> c.abs().addi(r).muli(absScale).addi(scaleShift[1].abs()), 16);
      }
    };
  }

  /**
   * Lower bounds of the margins {@code y_target - y_k} for every class {@code k}, with the last
   * (Linear) layer merged into the margin specification before bounding ("last-layer elision"),
   * which is tighter than subtracting output bounds. The entry of the target class itself is 0.
   *
   * @param input the input box
   * @param labels target classes, int64 {@code [N]}
   * @return {@code [N, classes]}
   */
  public NDArray marginLowerBounds(Network network, Box input, NDArray labels,
      BatchStatistics stats) {
    return marginLowerBounds(network, input, labels, stats, box -> {});
  }

  /**
   * As {@link #marginLowerBounds(Network, Box, NDArray, BatchStatistics)}, reporting the box at
   * the input of every ReLU to {@code preActivations}.
   */
  public NDArray marginLowerBounds(Network network, Box input, NDArray labels,
      BatchStatistics stats, Consumer<Box> preActivations) {
    List<Layer> layers = network.layers();
    if (!(layers.getLast() instanceof Linear last)) {
      throw new IllegalArgumentException("margin bounds need a Linear last layer, got "
          + layers.getLast().describe());
    }
    Box hidden = propagate(layers.subList(0, layers.size() - 1), 0, input, stats, preActivations);
    NDArray c = hidden.centre();
    NDArray r = hidden.radius();
    NDManager m = c.getManager();
    NDArray weight = LayerOps.cast(last.weight(), c, m);
    int classes = last.outFeatures();
    long n = c.getShape().get(0);
    // Centre of y_t - y_k from the logits' centre: [N, K].
    NDArray logits = LayerOps.linear(c, weight, last.bias());
    NDArray centre = Losses.selected(logits, labels).expandDims(1).sub(logits);
    // Radius |W_t - W_k| r for every pair (t, k) in one product, then the row of each label.
    NDArray rows = LayerOps.owned(weight.expandDims(1), m);
    NDArray pairDifferences = rows.sub(LayerOps.owned(weight.expandDims(0), m)).abs()
        .reshape(classes * classes, -1);
    NDArray labelRows = labels.oneHot(classes).toType(c.getDataType(), false)
        .reshape(n, classes, 1);
    NDArray radius = LayerOps.linear(r, pairDifferences, null).reshape(n, classes, classes)
        .mul(labelRows).sum(new int[] {1});
    NDArray lower = centre.sub(radius);
    if (rounding == Rounding.OUTWARD) {
      // Each logit centre carries at most gamma (|W| |c| + |b|); the pair radius gamma (A r);
      // the subtractions a few units of roundoff of the result.
      NDArray magnitude = LayerOps.linear(c.abs().add(r), LayerOps.abs(last.weight(), m, c),
          LayerOps.abs(last.bias(), m, c));
      NDArray pairMagnitude = Losses.selected(magnitude, labels).expandDims(1).add(magnitude)
          .addi(radius);
      lower = lower.subi(pairMagnitude.muli(gamma(last.inFeatures() + 4)))
          .subi(centre.abs().addi(radius).muli(4 * UNIT_ROUNDOFF));
    }
    return lower;
  }

  private Box affineAllowance(NDArray centre, NDArray radius,
      Supplier<NDArray> magnitude, int terms) {
    if (rounding == Rounding.NEAREST) {
      return new Box(centre, radius);
    }
    NDArray error = magnitude.get().muli(gamma(terms));
    return widened(new Box(centre, radius.add(error)), () -> centre.abs().add(radius), 4);
  }

  /** Adds {@code ulps} unit roundoffs of {@code magnitude} to the radius in OUTWARD mode. */
  private Box widened(Box box, Supplier<NDArray> magnitude, int ulps) {
    if (rounding == Rounding.NEAREST) {
      return box;
    }
    // The tiny absolute term covers underflow to subnormals.
    NDArray radius = box.radius().add(magnitude.get().mul(ulps * UNIT_ROUNDOFF))
        .addi(Double.MIN_NORMAL);
    return new Box(box.centre(), radius);
  }

  /** Twice Higham's {@code gamma_n = n u / (1 - n u)} for an n-term sum of products. */
  private static double gamma(int terms) {
    double nu = terms * UNIT_ROUNDOFF;
    return 2 * nu / (1 - nu);
  }

  private void checkType(Box input) {
    if (rounding == Rounding.OUTWARD && input.centre().getDataType() != DataType.FLOAT64) {
      throw new IllegalArgumentException(
          "OUTWARD rounding needs a float64 box, got " + input.centre().getDataType());
    }
  }
}
