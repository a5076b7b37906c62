package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Supplier;
import org.certkit.internal.Constants;
import org.certkit.internal.LayerOps;
import org.certkit.loss.Losses;
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
 *   <li>{@link Rounding#OUTWARD}: float64 on the CPU only; after every layer the radius is
 *       widened by a rigorous bound on the rounding errors of that layer ({@code gamma_n} times
 *       the sum of magnitudes for an n-term dot product, Higham's bound, doubled), so the box
 *       contains the image of the input box under the network evaluated in exact arithmetic; a
 *       bound that is not finite anywhere makes the example's result NaN. Used to certify; the
 *       derivation of each allowance is in docs/soundness.md.
 * </ul>
 *
 * <p>All results belong to the manager of the input box's centre.
 */
public final class IntervalDomain implements BoundDomain {

  /** How rounding errors of the propagation itself are treated. */
  public enum Rounding {
    /** Round to nearest, no allowance: fast and differentiable, not sound. */
    NEAREST,
    /** float64 with a rigorous per-operation rounding allowance: sound. */
    OUTWARD
  }

  /** Unit roundoff of float64. */
  static final double UNIT_ROUNDOFF = 0x1p-53;

  // The rounding allowances of OUTWARD mode, one per rule; docs/soundness.md derives each. Every
  // one is needed: the exact-arithmetic tests fail when any is removed or made 10^6 times smaller.

  /** Units of roundoff of {@code |c| + r} added to the input box (x - eps, centre, radius). */
  static final double INPUT_ULPS = 4;
  /** Multiple of Higham's {@code gamma_n |W| (|c| + r) + |b|} added after an affine layer. */
  static final double AFFINE_GAMMAS = 2;
  /** Units of roundoff of {@code |c| + r} added after a ReLU. */
  static final double RELU_ULPS = 8;
  /** Units of roundoff of the output's {@code |c| + r} added after Normalize. */
  static final double NORMALIZE_ULPS = 4;
  /** Multiple of {@code gamma_(k^2 + 1)} of the pooled {@code |c| + r} after AvgPool. */
  static final double POOL_GAMMAS = 2;
  /** Units of roundoff of the pooled {@code |c| + r} added after MaxPool. */
  static final double MAX_POOL_ULPS = 8;
  /**
   * Units of roundoff of {@code |f|} allowed at each end for Sigmoid and Tanh computed with
   * {@link StrictMath} (exp within 1 ulp, tanh within 2.5 ulps, then two roundings), and for this
   * end's share of re-centring the two ends into a box.
   */
  static final double FUNCTION_ULPS = 8;
  /**
   * Units of roundoff of {@code L (|c| + r)}, with {@code L} the function's Lipschitz constant,
   * allowed at each end for Sigmoid and Tanh: the rounding of {@code c -/+ r} itself, and the
   * other end's share of re-centring.
   */
  static final double END_ULPS = 4;
  /** Units of roundoff of the output's {@code |c| + r} added after Add. */
  static final double ADD_ULPS = 4;
  /** Units of roundoff of {@code (|c| + r + |mean|) |scale| + |beta|} added after BatchNorm. */
  static final double BATCH_NORM_ULPS = 16;
  /** Multiple of {@code gamma_(n + MARGIN_EXTRA_TERMS)} of the two logits' magnitudes. */
  static final double MARGIN_GAMMAS = 2;
  /** Terms added to the fan-in for the differences and subtractions of the margin. */
  static final int MARGIN_EXTRA_TERMS = 9;
  /** Multiple of {@code gamma} of {@code |C| M + |d|} for linear output constraints. */
  static final double CONSTRAINT_GAMMAS = 2;
  /**
   * Absolute allowance per possibly underflowing operation, {@code 2^-1074}: a product or quotient
   * in the subnormal range is off by at most half of it, and sums of subnormals are exact.
   */
  static final double UNDERFLOW = Double.MIN_VALUE;
  /** Underflowing operations counted for an elementwise rule (ReLU, Normalize, BatchNorm). */
  static final int ELEMENTWISE_OPERATIONS = 8;

  private final Rounding rounding;

  /** A domain with the given rounding mode. */
  public IntervalDomain(Rounding rounding) {
    this.rounding = rounding;
  }

  /** The rounding mode. */
  public Rounding rounding() {
    return rounding;
  }

  /** Sound exactly in {@link Rounding#OUTWARD} mode. */
  @Override
  public boolean sound() {
    return rounding == Rounding.OUTWARD;
  }

  @Override
  public Box outputBounds(Network network, InputSet input, BatchStatistics stats) {
    return propagate(network, Box.of(input), stats);
  }

  /**
   * Propagates {@code input} through all layers.
   *
   * @param input batch-first box in the network's input space ([0, 1] pixels)
   * @param stats BatchNorm statistics; in training they must already be recorded by a clean pass
   * @return the output box {@code [N, classes]}
   */
  public Box propagate(Network network, Box input, BatchStatistics stats) {
    Propagation p = run(network, input, stats, network.layers().size(), true);
    return p.checked(p.values().getLast());
  }

  /**
   * The box of every node of {@code network} for {@code input}, keyed by node, as computed (in
   * OUTWARD mode, before a non-finite example is made NaN).
   */
  public NodeBoxes nodeBoxes(Network network, Box input, BatchStatistics stats) {
    return run(network, input, stats, network.layers().size(), false).boxes();
  }

  /**
   * The boxes of the first nodes of a network.
   *
   * @param input the input box, already widened for its own rounding
   * @param values the box of every evaluated node
   * @param magnitudes OUTWARD: per example, the sum of {@code |c| + r} over every box so far;
   *     null in NEAREST mode
   * @param deferred the nodes folded into the BatchNorm after them (null in {@code values}),
   *     with how to compute their boxes
   */
  private record Propagation(Box input, List<Box> values, NDArray magnitudes,
      Map<Integer, Supplier<Box>> deferred) {

    /**
     * {@code box}, made NaN for every example with a non-finite bound anywhere (OUTWARD); without
     * this, ReLU would turn a -inf or NaN bound into a confident 0.
     */
    Box checked(Box box) {
      if (magnitudes == null) {
        return box;
      }
      NDArray poison = unknownWhereNotFinite(magnitudes, box.centre().getShape().dimension());
      return new Box(box.centre().add(poison), box.radius().add(poison));
    }

    /** The checked box of the node the output node reads. */
    Box outputInput(Network network) {
      return checked(network.outputInput(input, values));
    }

    /** The boxes keyed by node. */
    NodeBoxes boxes() {
      return new NodeBoxes(input, values, deferred);
    }
  }

  /**
   * The boxes of the first {@code count} nodes. With {@code fold} in NEAREST mode, a Linear or
   * Conv2d layer read only by the BatchNorm after it is not evaluated on its own: the BatchNorm's
   * affine map is folded into its weights ({@link #foldedAffine}), which saves two elementwise
   * passes over the activations and their gradients; its box is deferred, computed when asked.
   */
  private Propagation run(Network network, Box input, BatchStatistics stats, int count,
      boolean fold) {
    checkSupported(input);
    // The input box itself was computed with rounding (x - eps, centre, radius): widen it first.
    Box widenedInput = widened(input, () -> input.centre().abs().add(input.radius()), INPUT_ULPS,
        ELEMENTWISE_OPERATIONS);
    NDArray[] magnitudes = {rounding == Rounding.OUTWARD ? magnitudeSums(widenedInput) : null};
    boolean[] folded = fold && rounding == Rounding.NEAREST ? foldable(network, count)
        : new boolean[count];
    Map<Integer, Supplier<Box>> deferred = new HashMap<>();
    Box[] foldedInput = new Box[1];
    List<Box> values = network.evaluate(widenedInput, (i, layer, inputs) -> {
      if (folded[i]) {
        Box in = inputs.getFirst();
        foldedInput[0] = in;
        deferred.put(i, () -> apply(layer, i, List.of(in), stats));
        return null;
      }
      Box out = i > 0 && folded[i - 1]
          ? foldedAffine(network.layers().get(i - 1), (BatchNorm) layer, i, foldedInput[0],
              stats)
          : apply(layer, i, inputs, stats);
      if (magnitudes[0] != null) {
        magnitudes[0] = magnitudes[0].add(magnitudeSums(out));
      }
      return out;
    }, count);
    return new Propagation(widenedInput, values, magnitudes[0], deferred);
  }

  /**
   * Which of the first {@code count} nodes are Linear or Conv2d layers read by nothing but a
   * BatchNorm right after them (also among the first {@code count}).
   */
  private static boolean[] foldable(Network network, int count) {
    List<Layer> layers = network.layers();
    int[] readers = new int[layers.size()];
    for (int i = 0; i < layers.size(); i++) {
      for (int j : network.inputs(i)) {
        if (j != Network.INPUT) {
          readers[j]++;
        }
      }
    }
    boolean[] out = new boolean[count];
    for (int i = 0; i + 1 < count; i++) {
      int[] next = network.inputs(i + 1);
      out[i] = (layers.get(i) instanceof Linear || layers.get(i) instanceof Conv2d)
          && layers.get(i + 1) instanceof BatchNorm && readers[i] == 1 && next.length == 1
          && next[0] == i;
    }
    return out;
  }

  /**
   * Linear or Conv2d layer {@code affine} and then BatchNorm {@code b} (node {@code index}) on
   * {@code box} as one layer (NEAREST mode): with the BatchNorm's per-channel {@code scale} and
   * {@code shift}, the weights {@code scale W}, the bias {@code scale b + shift}, and the
   * radius through {@code |scale W|}, equal in exact arithmetic to the two layers in turn.
   */
  private Box foldedAffine(Layer affine, BatchNorm b, int index, Box box,
      BatchStatistics stats) {
    NDArray c = box.centre();
    NDArray r = box.radius();
    NDManager m = c.getManager();
    BatchNorm.Affine map = b.affine(stats.recordedOrRunning(index, b), c);
    // The batch's arrays come first, so the products belong to its manager, not the layer's.
    NDArray scale = map.scale().reshape(-1);
    NDArray shift = map.shift().reshape(-1);
    if (affine instanceof Conv2d cv) {
      NDArray weight = scale.reshape(-1, 1, 1, 1).mul(LayerOps.cast(cv.weight(), c, m));
      NDArray bias = cv.bias() == null ? shift
          : scale.mul(LayerOps.cast(cv.bias(), c, m)).addi(shift);
      return new Box(LayerOps.conv2d(c, weight, bias, cv.stride(), cv.padding()),
          LayerOps.conv2d(r, weight.abs(), null, cv.stride(), cv.padding()));
    }
    if (affine instanceof Linear l) {
      NDArray weight = scale.reshape(-1, 1).mul(LayerOps.cast(l.weight(), c, m));
      NDArray bias = l.bias() == null ? shift
          : scale.mul(LayerOps.cast(l.bias(), c, m)).addi(shift);
      return new Box(LayerOps.linear(c, weight, bias), LayerOps.linear(r, weight.abs(), null));
    }
    throw new IllegalArgumentException("only Linear and Conv2d fold into BatchNorm, got "
        + affine.describe());
  }

  /** Per example, the sum of {@code |c| + r}: finite exactly when every entry is. */
  private static NDArray magnitudeSums(Box box) {
    NDArray m = box.centre().abs().add(box.radius());
    return m.reshape(m.getShape().get(0), -1).sum(new int[] {1});
  }

  /** 0 where {@code magnitudes} is finite and NaN elsewhere, shaped to broadcast. */
  private static NDArray unknownWhereNotFinite(NDArray magnitudes, int dimensions) {
    long[] shape = new long[dimensions];
    java.util.Arrays.fill(shape, 1);
    shape[0] = magnitudes.getShape().get(0);
    return magnitudes.mul(Constants.scalar(magnitudes, 0)).reshape(new ai.djl.ndarray.types.Shape(shape));
  }

  /** One layer with one input on a box. */
  public Box apply(Layer layer, int index, Box box, BatchStatistics stats) {
    return apply(layer, index, List.of(box), stats);
  }

  /**
   * One node on boxes.
   *
   * @param inputs the boxes of the nodes it reads: two for {@link Add}, else one
   */
  public Box apply(Layer layer, int index, List<Box> inputs, BatchStatistics stats) {
    Box box = inputs.getFirst();
    NDArray c = box.centre();
    NDArray r = box.radius();
    NDManager m = c.getManager();
    return switch (layer) {
      case Linear l -> {
        NDArray absW = LayerOps.abs(l.weight(), m, c);
        NDArray centre = LayerOps.linear(c, l.weight(), l.bias());
        NDArray radius = LayerOps.linear(r, absW, null);
        yield widened(new Box(centre, radius), () -> LayerOps.linear(c.abs().add(r), absW,
            LayerOps.abs(l.bias(), m, c)), AFFINE_GAMMAS * gammaUlps(l.inFeatures() + 1),
            2 * l.inFeatures() + ELEMENTWISE_OPERATIONS);
      }
      case Conv2d cv -> {
        NDArray absW = LayerOps.abs(cv.weight(), m, c);
        NDArray centre = LayerOps.conv2d(c, cv.weight(), cv.bias(), cv.stride(), cv.padding());
        NDArray radius = LayerOps.conv2d(r, absW, null, cv.stride(), cv.padding());
        int fanIn = cv.inChannels() * cv.kernelSize() * cv.kernelSize();
        yield widened(new Box(centre, radius), () -> LayerOps.conv2d(c.abs().add(r), absW,
            LayerOps.abs(cv.bias(), m, c), cv.stride(), cv.padding()),
            AFFINE_GAMMAS * gammaUlps(fanIn + 1), 2 * fanIn + ELEMENTWISE_OPERATIONS);
      }
      case Relu rl -> {
        NDArray lower = Activation.relu(c.sub(r));
        NDArray upper = Activation.relu(c.add(r));
        if (rounding == Rounding.NEAREST) {
          // The radius (u - l) / 2, then the centre as l + radius: a pass fewer than (l + u) / 2.
          NDArray radius = upper.sub(lower).divi(Constants.scalar(lower, 2));
          yield new Box(lower.add(radius), radius);
        }
        Box out = Box.fromBounds(lower, upper);
        yield widened(out, () -> c.abs().add(r), RELU_ULPS, ELEMENTWISE_OPERATIONS);
      }
      case Flatten f -> new Box(c.reshape(c.getShape().get(0), -1),
          r.reshape(r.getShape().get(0), -1));
      case Normalize n -> {
        NDArray std = LayerOps.perChannel(n.std(), c);
        Box out = new Box(c.sub(LayerOps.perChannel(n.mean(), c)).divi(std), r.div(std));
        yield widened(out, () -> out.centre().abs().add(out.radius()), NORMALIZE_ULPS,
            ELEMENTWISE_OPERATIONS);
      }
      case BatchNorm b -> {
        BatchStatistics.MeanVar mv = stats.recordedOrRunning(index, b);
        BatchNorm.Affine affine = b.affine(mv, c);
        NDArray absScale = affine.scale().abs();
        NDArray centre = stats.isTraining() || rounding == Rounding.OUTWARD
            ? affine.apply(c)
            : ConcreteDomain.batchNormFused(b, c);
        Box out = new Box(centre, r.mul(absScale));
        // The shift beta - mean * scale cancels: its rounding is relative to |mean| |scale| and
        // |beta|, not to |shift|; the scale carries a square root and a division.
        yield widened(out, () -> c.abs().add(r).addi(BatchStatistics.reshapeForChannels(
            LayerOps.abs(mv.mean(), m, c), c.getShape())).muli(absScale)
            .addi(BatchStatistics.reshapeForChannels(LayerOps.abs(b.beta(), m, c),
                c.getShape())), BATCH_NORM_ULPS, ELEMENTWISE_OPERATIONS);
      }
      case AvgPool p -> {
        int terms = p.kernel() * p.kernel() + 1;
        yield widened(new Box(LayerOps.avgPool(c, p), LayerOps.avgPool(r, p)),
            () -> LayerOps.avgPool(c.abs().add(r), p), POOL_GAMMAS * gammaUlps(terms),
            2 * terms + ELEMENTWISE_OPERATIONS);
      }
      case MaxPool p -> {
        Box out = Box.fromBounds(LayerOps.maxPool(c.sub(r), p), LayerOps.maxPool(c.add(r), p));
        yield widened(out, () -> LayerOps.maxPool(c.abs().add(r), p), MAX_POOL_ULPS,
            ELEMENTWISE_OPERATIONS);
      }
      case Sigmoid sg -> rounding == Rounding.NEAREST
          ? Box.fromBounds(Activation.sigmoid(c.sub(r)), Activation.sigmoid(c.add(r)))
          : monotoneOutward(box, SIGMOID, 0.25);
      case Tanh t -> rounding == Rounding.NEAREST
          ? Box.fromBounds(Activation.tanh(c.sub(r)), Activation.tanh(c.add(r)))
          : monotoneOutward(box, StrictMath::tanh, 1);
      case Add a -> {
        Box other = ConcreteDomain.second(inputs, index);
        Box out = new Box(c.add(other.centre()), r.add(other.radius()));
        yield widened(out, () -> out.centre().abs().add(out.radius()), ADD_ULPS,
            ELEMENTWISE_OPERATIONS);
      }
    };
  }

  /**
   * Lower bounds of every row of {@code spec} over {@code input}.
   *
   * @return {@code [N, S]}; NaN for an example whose bounds were not finite somewhere (OUTWARD)
   */
  @Override
  public NDArray lowerBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats) {
    return bounds(network, input, spec, stats).lower();
  }

  /**
   * As {@link #lowerBounds(Network, InputSet, Specification, BatchStatistics)}, with the boxes of
   * the nodes the computation went through (for the warm-up regulariser, say).
   */
  public SpecificationBounds bounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats) {
    Box box = Box.of(input);
    return switch (spec) {
      case Specification.Margins margins ->
          marginBounds(network, box, margins.labels(), stats);
      case Specification.LinearConstraints constraints ->
          constraintBounds(network, box, constraints, stats);
    };
  }

  /**
   * Lower bounds of {@code C y + d}: with a Linear last layer merged into {@code C} (the
   * generalisation of last-layer elision), otherwise from the output box.
   */
  private SpecificationBounds constraintBounds(Network network, Box input,
      Specification.LinearConstraints spec, BatchStatistics stats) {
    List<Layer> layers = network.layers();
    boolean merge = layers.getLast() instanceof Linear;
    Propagation p = run(network, input, stats, merge ? layers.size() - 1 : layers.size(), true);
    Box hidden = merge ? p.outputInput(network) : p.checked(p.values().getLast());
    NDArray c = hidden.centre();
    NDArray r = hidden.radius();
    NDManager m = c.getManager();
    NDArray matrix = LayerOps.cast(spec.matrix(), c, m);
    NDArray offset = LayerOps.cast(spec.offset(), c, m);
    int classes = (int) matrix.getShape().get(2);
    NDArray rowsOnHidden;
    NDArray bias;
    if (layers.getLast() instanceof Linear last) {
      // C W [N, S, in] and C b + d [N, S].
      rowsOnHidden = matrix.matMul(LayerOps.cast(last.weight(), c, m));
      bias = matrix.matMul(LayerOps.cast(last.bias(), c, m).reshape(classes, 1)).squeeze(2)
          .add(offset);
    } else {
      rowsOnHidden = matrix;
      bias = offset;
    }
    NDArray centre = rowsOnHidden.matMul(c.expandDims(2)).squeeze(2).add(bias);
    NDArray radius = rowsOnHidden.abs().matMul(r.expandDims(2)).squeeze(2);
    NDArray lower = centre.sub(radius);
    if (rounding == Rounding.OUTWARD) {
      // Rows C W and C b + d, their products with the box and the subtractions: all bounded by
      // gamma of |C| (|W| (|c| + r) + |b|) + |d| (or |C| (|c| + r) + |d| without a merge).
      int fanIn = (int) c.getShape().get(1);
      NDArray magnitude = c.abs().add(r);
      NDArray perOutput = layers.getLast() instanceof Linear last
          ? LayerOps.linear(magnitude, LayerOps.abs(last.weight(), m, c),
              LayerOps.abs(last.bias(), m, c))
          : magnitude;
      NDArray rowMagnitude = matrix.abs().matMul(perOutput.expandDims(2)).squeeze(2)
          .add(offset.abs());
      int terms = merge ? classes + 2 * fanIn + 8 : classes + 4;
      lower = lower.subi(rowMagnitude.muli(
          Constants.scalar(rowMagnitude, CONSTRAINT_GAMMAS * gammaUlps(terms) * UNIT_ROUNDOFF)));
      // Underflow: an entry of C W off by K half-units of 2^-1074 meets |c| + r of the hidden box.
      lower = merge
          ? lower.subi(magnitude.sum(new int[] {1}, true).addi(1)
              .muli(Constants.scalar(magnitude, classes * UNDERFLOW)))
              .subi((2 * fanIn + ELEMENTWISE_OPERATIONS) * UNDERFLOW)
          : lower.subi((2 * classes + ELEMENTWISE_OPERATIONS) * UNDERFLOW);
      lower = lower.add(unknownWhereNotFinite(magnitudeSums(new Box(lower, radius)), 2));
    }
    return new SpecificationBounds(lower, p.boxes());
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
    return marginBounds(network, input, labels, stats).lower();
  }

  private SpecificationBounds marginBounds(Network network, Box input, NDArray labels,
      BatchStatistics stats) {
    List<Layer> layers = network.layers();
    if (!(layers.getLast() instanceof Linear last)) {
      throw new IllegalArgumentException("margin bounds need a Linear last layer, got "
          + layers.getLast().describe());
    }
    Propagation p = run(network, input, stats, layers.size() - 1, true);
    Box hidden = p.outputInput(network);
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
      // Both logit centres, the weight differences, the pair radius and the subtractions carry
      // rounding errors bounded by gamma of the two logits' magnitudes |W| (|c| + r) + |b|.
      NDArray magnitude = LayerOps.linear(c.abs().add(r), LayerOps.abs(last.weight(), m, c),
          LayerOps.abs(last.bias(), m, c));
      NDArray pairMagnitude = Losses.selected(magnitude, labels).expandDims(1).add(magnitude);
      lower = lower.subi(pairMagnitude.muli(Constants.scalar(pairMagnitude, MARGIN_GAMMAS
          * gammaUlps(last.inFeatures() + 1 + MARGIN_EXTRA_TERMS) * UNIT_ROUNDOFF)))
          .subi(UNDERFLOW * (4 * last.inFeatures() + ELEMENTWISE_OPERATIONS));
      // The hidden box is already NaN where a bound was not finite; so is the margin then.
      lower = lower.add(unknownWhereNotFinite(magnitudeSums(new Box(lower, radius)), 2));
    }
    return new SpecificationBounds(lower, p.boxes());
  }

  /**
   * An increasing function with Lipschitz constant {@code lipschitz} on a box, soundly: the ends
   * {@code c -/+ r} (rounded, so each within {@code u (|c| + r)} of the exact end) are mapped in
   * Java with {@link StrictMath}, whose error the {@link #FUNCTION_ULPS} allowance covers, moved
   * outward by {@link #END_ULPS} of the end's size times the Lipschitz constant, then by one ulp
   * for the rounding of that subtraction. The two allowances also cover re-centring the ends into
   * a box: its error at one end is at most {@code u (|f(l)| + |f(u)|)}, and
   * {@code |f(u)| <= |f(l)| + 2 L (|c| + r)}.
   */
  /** The logistic function in float64 with {@link StrictMath#exp}. */
  static final DoubleUnaryOperator SIGMOID = x -> 1 / (1 + StrictMath.exp(-x));

  /**
   * A number at most {@code f(x)} for the exact {@code x}, from {@code f} computed in float64
   * ({@link #FUNCTION_ULPS} of its size), less {@code slack}, less one ulp for the rounding of
   * that subtraction.
   */
  static double below(DoubleUnaryOperator f, double x, double slack) {
    double fx = f.applyAsDouble(x);
    return Math.nextDown(fx - (FUNCTION_ULPS * UNIT_ROUNDOFF * Math.abs(fx) + slack
        + ELEMENTWISE_OPERATIONS * UNDERFLOW));
  }

  /** A number at least {@code f(x)}: {@link #below} mirrored. */
  static double above(DoubleUnaryOperator f, double x, double slack) {
    double fx = f.applyAsDouble(x);
    return Math.nextUp(fx + (FUNCTION_ULPS * UNIT_ROUNDOFF * Math.abs(fx) + slack
        + ELEMENTWISE_OPERATIONS * UNDERFLOW));
  }

  private Box monotoneOutward(Box box, DoubleUnaryOperator function,
      double lipschitz) {
    NDArray c = box.centre();
    NDArray r = box.radius();
    double[] lower = c.sub(r).toDoubleArray();
    double[] upper = c.add(r).toDoubleArray();
    double[] magnitude = c.abs().add(r).toDoubleArray();
    for (int i = 0; i < lower.length; i++) {
      double endSlack = END_ULPS * lipschitz * UNIT_ROUNDOFF * magnitude[i];
      lower[i] = below(function, lower[i], endSlack);
      upper[i] = above(function, upper[i], endSlack);
    }
    NDManager m = c.getManager();
    return Box.fromBounds(m.create(lower, c.getShape()), m.create(upper, c.getShape()));
  }

  /**
   * Adds {@code ulps} units of roundoff of {@code magnitude}, and {@link #UNDERFLOW} for each of
   * {@code operations} operations that may underflow, to the radius in OUTWARD mode.
   */
  private Box widened(Box box, Supplier<NDArray> magnitude, double ulps, int operations) {
    if (rounding == Rounding.NEAREST) {
      return box;
    }
    NDArray magnitudes = magnitude.get();
    NDArray radius = box.radius()
        .add(magnitudes.mul(Constants.scalar(magnitudes, ulps * UNIT_ROUNDOFF)))
        .addi(UNDERFLOW * operations);
    return new Box(box.centre(), radius);
  }

  /**
   * Higham's {@code gamma_n = n u / (1 - n u)} in units of roundoff {@code u}: the relative bound
   * on the error of any n-term sum of products, in any order, with or without fused multiply-add.
   */
  static double gammaUlps(int terms) {
    return terms / (1 - terms * UNIT_ROUNDOFF);
  }

  /**
   * OUTWARD needs float64 on the CPU with the PyTorch engine, where convolutions and matrix
   * products are sums of products (im2col and GEMM); that is what the allowances assume. Other
   * devices and engines (cuDNN, Winograd or FFT convolutions, TF32) fall outside the argument.
   */
  private void checkSupported(Box input) {
    if (rounding != Rounding.OUTWARD) {
      return;
    }
    NDArray c = input.centre();
    if (c.getDataType() != DataType.FLOAT64) {
      throw new IllegalArgumentException(
          "OUTWARD rounding needs a float64 box, got " + c.getDataType());
    }
    String engine = c.getManager().getEngine().getEngineName();
    if (c.getDevice().isGpu() || !"PyTorch".equals(engine)) {
      throw new IllegalStateException("sound (OUTWARD) interval bounds run only in float64 on"
          + " the CPU with the PyTorch engine, where the rounding allowances are proven; got "
          + engine + " on " + c.getDevice());
    }
  }
}
