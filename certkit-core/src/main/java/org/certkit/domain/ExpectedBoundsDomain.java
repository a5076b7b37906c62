package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.certkit.internal.LayerOps;
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
 * The expected blockwise interval bounds of Alsubaihi et al. ("Expected Tight Bounds for Robust
 * Deep Neural Network Training"): every ReLU is replaced by a fixed 0/1 mask {@code M}, which
 * turns the network into an affine map {@code G x + g}, and the bounds are those of that affine
 * map over the input box, {@code G c + g -/+ |G| r} (Eq. 3 for one Affine-ReLU-Affine block,
 * Eq. 6 recursively for deeper networks).
 *
 * <p><b>These bounds are not sound.</b> They hold in expectation over Gaussian weights
 * (Theorem 1 of the paper), not for a given network; certkit calls them "expected bounds" and
 * never certifies with them.
 *
 * <p>Two mask rules:
 *
 * <ul>
 *   <li>{@link MaskRule#RECURSIVE} (Eq. 6): the mask of a ReLU is {@code 1{upper >= 0}} for the
 *       upper bound of the masked affine map that feeds it, {@code G_{i-1} c + g + |G_{i-1}| r};
 *   <li>{@link MaskRule#INTERVAL}: the mask is {@code 1{u >= 0}} for the IBP upper bound
 *       {@code u}, the variant the paper's code uses for convolutional networks.
 * </ul>
 *
 * <p>The affine map is carried forward explicitly as a Jacobian with one slice per input
 * coordinate ({@code [N, n, ...]}), so the cost is {@code n} linear passes per example: meant
 * for measuring bounds (experiments, the {@code bounds} command), not for training. BatchNorm
 * uses running statistics. Results belong to the manager of the input box.
 */
public final class ExpectedBoundsDomain {

  /** How the ReLU masks are chosen. */
  public enum MaskRule {
    /** Masks from the upper bound of the masked affine map so far (Eq. 6). */
    RECURSIVE,
    /** Masks from interval (IBP) upper bounds. */
    INTERVAL
  }

  private final MaskRule rule;

  /** A domain with the given mask rule. */
  public ExpectedBoundsDomain(MaskRule rule) {
    this.rule = rule;
  }

  /**
   * Expected bounds of the network's outputs.
   *
   * @param input the input box, batch first, in [0, 1] pixel space
   * @return the output box {@code [N, classes]}
   */
  public Box propagate(Network network, Box input) {
    NDArray c = input.centre();
    NDManager m = c.getManager();
    long n = c.getShape().get(0);
    long dims = c.getShape().size() / n;
    List<NDArray> intervalMasks = new ArrayList<>();
    if (rule == MaskRule.INTERVAL) {
      new IntervalDomain(IntervalDomain.Rounding.NEAREST).propagate(network.layers(), 0, input,
          BatchStatistics.evaluation(), box -> intervalMasks.add(box.upper().gte(0)));
    }
    NDArray radius = input.radius().reshape(n, dims);
    Shape itemShape = c.getShape().slice(1);
    // Jacobian of the identity: [N, dims, ...item shape].
    NDArray jacobian = m.eye((int) dims, (int) dims, 0, c.getDataType()).expandDims(0)
        .repeat(0, n).reshape(new Shape(n, dims).addAll(itemShape));
    NDArray centre = c;
    int relu = 0;
    List<Layer> layers = network.layers();
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      NDArray[] next = switch (layer) {
        case Linear l -> new NDArray[] {LayerOps.linear(centre, l.weight(), l.bias()),
            perSlice(jacobian, s -> LayerOps.linear(s, l.weight(), null))};
        case Conv2d cv -> new NDArray[] {
            LayerOps.conv2d(centre, cv.weight(), cv.bias(), cv.stride(), cv.padding()),
            perSlice(jacobian, s -> LayerOps.conv2d(s, cv.weight(), null, cv.stride(),
                cv.padding()))};
        case Relu r -> {
          NDArray mask = rule == MaskRule.INTERVAL ? intervalMasks.get(relu)
              : centre.add(radiusOf(jacobian, radius)).gte(0);
          relu++;
          NDArray maskValues = mask.toType(centre.getDataType(), false);
          yield new NDArray[] {centre.mul(maskValues), jacobian.mul(maskValues.expandDims(1))};
        }
        case Flatten f -> new NDArray[] {centre.reshape(n, -1), jacobian.reshape(n, dims, -1)};
        case Normalize norm -> {
          NDArray std = LayerOps.perChannel(norm.std(), centre);
          yield new NDArray[] {centre.sub(LayerOps.perChannel(norm.mean(), centre)).div(std),
              jacobian.div(std.expandDims(1))};
        }
        case BatchNorm b -> {
          NDArray[] scaleShift = ConcreteDomain.scaleAndShift(b,
              BatchStatistics.evaluation().recordedOrRunning(i, b), centre);
          yield new NDArray[] {centre.mul(scaleShift[0]).add(scaleShift[1]),
              jacobian.mul(scaleShift[0].expandDims(1))};
        }
      };
      centre = next[0];
      jacobian = next[1];
    }
    return new Box(centre, radiusOf(jacobian, radius));
  }

  /** {@code |G| r}: the radius of the affine map's image, shaped like one slice. */
  private static NDArray radiusOf(NDArray jacobian, NDArray radius) {
    Shape shape = jacobian.getShape();
    long n = shape.get(0);
    long dims = shape.get(1);
    long[] ones = new long[shape.dimension() - 2];
    java.util.Arrays.fill(ones, 1L);
    NDArray weights = radius.reshape(new Shape(n, dims).addAll(new Shape(ones)));
    return jacobian.abs().mul(weights).sum(new int[] {1});
  }

  /** Applies a linear map to every slice {@code [.., j, ..]} of a Jacobian. */
  private static NDArray perSlice(NDArray jacobian, java.util.function.UnaryOperator<NDArray> f) {
    Shape shape = jacobian.getShape();
    long n = shape.get(0);
    long dims = shape.get(1);
    NDArray out = f.apply(jacobian.reshape(new Shape(n * dims).addAll(shape.slice(2))));
    return out.reshape(new Shape(n, dims).addAll(out.getShape().slice(1)));
  }
}
