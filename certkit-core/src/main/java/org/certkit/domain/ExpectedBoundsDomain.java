package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
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
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

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
 * <p>Two centres, since the paper's text and its published code differ:
 *
 * <ul>
 *   <li>{@link Centre#CLEAN_OUTPUT}: the bounds are {@code f(c) -/+ |G| r}, centred at the
 *       network's own output at the box centre. The published code does this (in training and
 *       evaluation), and it is the reading under which Figure 1a reproduces: coverage
 *       {@code Gamma} near 1 from about {@code n = 20} inputs.
 *   <li>{@link Centre#MASKED_AFFINE}: the bounds are {@code G c + g -/+ |G| r} (Eq. 3 as
 *       written), centred at the masked affine map, which treats every unit the mask keeps as
 *       linear even where it is negative at {@code c}; its coverage stays near 0.9.
 * </ul>
 *
 * <p>The affine map is carried forward explicitly as a Jacobian with one slice per input
 * coordinate ({@code [N, n, ...]}), so the cost is {@code n} linear passes per example: meant
 * for measuring bounds (experiments, the {@code bounds} command), not for training. BatchNorm
 * uses running statistics. Results belong to the manager of the input box.
 */
public final class ExpectedBoundsDomain implements BoundDomain {

  /** How the ReLU masks are chosen. */
  public enum MaskRule {
    /** Masks from the upper bound of the masked affine map so far (Eq. 6). */
    RECURSIVE,
    /** Masks from interval (IBP) upper bounds. */
    INTERVAL
  }

  /** Where the bounds are centred. */
  public enum Centre {
    /** At the network's output for the box centre, {@code f(c)} (the published code). */
    CLEAN_OUTPUT,
    /** At the masked affine map's value {@code G c + g} (Eq. 3 as written). */
    MASKED_AFFINE
  }

  private final MaskRule rule;
  private final Centre centre;

  /** A domain with the given mask rule and centre. */
  public ExpectedBoundsDomain(MaskRule rule, Centre centre) {
    this.rule = rule;
    this.centre = centre;
  }

  /** Never: the bounds hold in expectation over Gaussian weights only. */
  @Override
  public boolean sound() {
    return false;
  }

  /**
   * Expected bounds of the network's outputs on the box of {@code input}.
   *
   * @param stats must be evaluation statistics: BatchNorm uses its running statistics here
   */
  @Override
  public Box outputBounds(Network network, InputSet input, BatchStatistics stats) {
    if (stats.isTraining()) {
      throw new IllegalArgumentException("expected bounds use BatchNorm running statistics;"
          + " pass BatchStatistics.evaluation()");
    }
    return propagate(network, Box.of(input));
  }

  /** Lower bounds of {@code spec} from the expected output bounds (no layer merged). */
  @Override
  public NDArray lowerBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats) {
    return BoundDomain.lowerBoundsFromOutputs(outputBounds(network, input, stats), spec);
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
      for (Box box : new IntervalDomain(IntervalDomain.Rounding.NEAREST)
          .nodeBoxes(network, input, BatchStatistics.evaluation()).reluInputs(network)) {
        intervalMasks.add(box.upper().gte(0));
      }
    }
    NDArray radius = input.radius().reshape(n, dims);
    Shape itemShape = c.getShape().slice(1);
    // Jacobian of the identity: [N, dims, ...item shape].
    NDArray identity = m.eye((int) dims, (int) dims, 0, c.getDataType()).expandDims(0)
        .repeat(0, n).reshape(new Shape(n, dims).addAll(itemShape));
    int[] relu = {0};
    // The value of a node: its centre and its Jacobian.
    NDArray[] last = network.evaluate(new NDArray[] {c, identity}, (i, layer, inputs) -> {
      NDArray centre = inputs.getFirst()[0];
      NDArray jacobian = inputs.getFirst()[1];
      return switch (layer) {
        case Linear l -> new NDArray[] {LayerOps.linear(centre, l.weight(), l.bias()),
            LayerOps.perSlice(jacobian, s -> LayerOps.linear(s, l.weight(), null))};
        case Conv2d cv -> new NDArray[] {
            LayerOps.conv2d(centre, cv.weight(), cv.bias(), cv.stride(), cv.padding()),
            LayerOps.perSlice(jacobian, s -> LayerOps.conv2d(s, cv.weight(), null, cv.stride(),
                cv.padding()))};
        case Relu r -> {
          NDArray mask = rule == MaskRule.INTERVAL ? intervalMasks.get(relu[0])
              : centre.add(radiusOf(jacobian, radius)).gte(0);
          relu[0]++;
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
          BatchNorm.Affine affine =
              b.affine(BatchStatistics.evaluation().recordedOrRunning(i, b), centre);
          yield new NDArray[] {centre.mul(affine.scale()).add(affine.shift()),
              jacobian.mul(affine.scale().expandDims(1))};
        }
        case Add a -> {
          NDArray[] other = ConcreteDomain.second(inputs, i);
          yield new NDArray[] {centre.add(other[0]), jacobian.add(other[1])};
        }
        case AvgPool p -> throw unsupported(layer, i);
        case MaxPool p -> throw unsupported(layer, i);
        case Sigmoid sg -> throw unsupported(layer, i);
        case Tanh t -> throw unsupported(layer, i);
      };
    });
    NDArray centre = last[0];
    NDArray jacobian = last[1];
    NDArray output = this.centre == Centre.CLEAN_OUTPUT
        ? ConcreteDomain.forward(network, c, BatchStatistics.evaluation()) : centre;
    return new Box(output, radiusOf(jacobian, radius));
  }

  /**
   * Expected bounds with {@link MaskRule#INTERVAL} masks, computed by one backward pass of the
   * output rows instead of a forward Jacobian: {@code K} rows per example rather than one slice
   * per input coordinate, and differentiable, so it serves as a training loss. Equal to
   * {@link #propagate} with interval masks (up to rounding).
   *
   * @param input the input box {@code [N, C, H, W]}
   * @param stats BatchNorm statistics (in training, recorded by a clean pass of the step)
   * @param centre where the bounds are centred
   * @return the output box {@code [N, classes]}
   */
  public static Box intervalMasked(Network network, Box input, BatchStatistics stats,
      Centre centre) {
    if (!network.isChain()) {
      throw new IllegalArgumentException("expected bounds by a backward pass (expected-bound"
          + " training) need a chain network; " + network.architecture() + " is a graph");
    }
    List<Layer> layers = network.layers();
    IntervalDomain interval = new IntervalDomain(IntervalDomain.Rounding.NEAREST);
    List<Shape> inputShapes = new ArrayList<>();
    List<NDArray> masks = new ArrayList<>();
    Box box = input;
    for (int i = 0; i < layers.size(); i++) {
      inputShapes.add(box.centre().getShape());
      if (layers.get(i) instanceof Relu) {
        masks.add(box.upper().gte(0).toType(box.centre().getDataType(), false));
      }
      box = interval.apply(layers.get(i), i, box, stats);
    }
    NDArray c = input.centre();
    NDManager m = c.getManager();
    long n = c.getShape().get(0);
    int classes = network.numClasses();
    NDArray rows = m.eye(classes, classes, 0, c.getDataType()).expandDims(0).repeat(0, n);
    NDArray offset = m.zeros(new Shape(n, classes), c.getDataType());
    int relu = masks.size();
    for (int i = layers.size() - 1; i >= 0; i--) {
      Shape in = inputShapes.get(i);
      Layer layer = layers.get(i);
      switch (layer) {
        case Linear l -> {
          NDArray bias = LayerOps.owned(LayerOps.cast(l.bias(), rows, m).reshape(-1, 1), m);
          offset = offset.add(rows.matMul(bias).squeeze(2));
          rows = rows.matMul(LayerOps.cast(l.weight(), rows, m));
        }
        case Conv2d cv -> {
          Shape out = rows.getShape().slice(2);
          NDArray flat = rows.reshape(new Shape(n * classes).addAll(out));
          NDArray bias = LayerOps.owned(LayerOps.cast(cv.bias(), flat, m).reshape(1, -1, 1, 1),
              m);
          offset = offset.add(flat.mul(bias).reshape(n, classes, -1).sum(new int[] {2}));
          int produced = (int) ((out.get(1) - 1) * cv.stride() - 2 * cv.padding()
              + cv.kernelSize());
          int padH = (int) in.get(2) - produced;
          int padW = (int) in.get(3) - (int) ((out.get(2) - 1) * cv.stride() - 2 * cv.padding()
              + cv.kernelSize());
          NDArray back = LayerOps.conv2dTranspose(flat, cv.weight(), cv.stride(),
              cv.padding(), padH, padW);
          rows = back.reshape(new Shape(n, classes).addAll(in.slice(1)));
        }
        case Relu r -> {
          relu--;
          rows = rows.mul(masks.get(relu).expandDims(1));
        }
        case Flatten f -> rows = rows.reshape(new Shape(n, classes).addAll(in.slice(1)));
        case Normalize norm -> {
          // y = (x - mean) / std: rows act on x through rows / std, with offset -rows/std . mean.
          NDArray perRow = rows.reshape(new Shape(n * classes).addAll(in.slice(1)));
          NDArray scaled = perRow.div(LayerOps.perChannel(norm.std(), perRow));
          offset = offset.sub(scaled.mul(LayerOps.perChannel(norm.mean(), perRow))
              .reshape(n, classes, -1).sum(new int[] {2}));
          rows = scaled.reshape(rows.getShape());
        }
        case BatchNorm b -> {
          NDArray perRow = rows.reshape(new Shape(n * classes).addAll(in.slice(1)));
          BatchNorm.Affine affine = b.affine(stats.recordedOrRunning(i, b), perRow);
          offset = offset.add(perRow.mul(affine.shift()).reshape(n, classes, -1)
              .sum(new int[] {2}));
          rows = perRow.mul(affine.scale()).reshape(rows.getShape());
        }
        case Add a -> throw new IllegalStateException("unreachable: graphs are refused above");
        case AvgPool p -> throw unsupported(layer, i);
        case MaxPool p -> throw unsupported(layer, i);
        case Sigmoid sg -> throw unsupported(layer, i);
        case Tanh t -> throw unsupported(layer, i);
      }
    }
    NDArray flatRows = rows.reshape(n, classes, -1);
    NDArray radius = flatRows.abs().matMul(input.radius().reshape(n, -1, 1)).squeeze(2);
    NDArray output = centre == Centre.CLEAN_OUTPUT ? ConcreteDomain.forward(network, c, stats)
        : flatRows.matMul(c.reshape(n, -1, 1)).squeeze(2).add(offset);
    return new Box(output, radius);
  }

  /** The expected bounds are derived for affine layers and ReLU only (Alsubaihi et al.). */
  private static IllegalArgumentException unsupported(Layer layer, int index) {
    return new IllegalArgumentException("expected bounds are defined for networks of affine"
        + " layers and ReLU; node " + index + " is " + layer.describe());
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
}
