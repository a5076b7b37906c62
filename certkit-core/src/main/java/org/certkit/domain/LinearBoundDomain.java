package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.certkit.internal.Constants;
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
 * Backward linear bounds: CROWN (Zhang et al., "Efficient neural network robustness certification
 * with general activation functions", NeurIPS 2018), the same bounds as DeepPoly (Singh et al.,
 * POPL 2019).
 *
 * <p>A row {@code a} over a node's value is pushed back to the input one node at a time: through
 * an affine node exactly ({@code a W}, with {@code a b} added to a constant), through a ReLU by
 * replacing the unit with a line below it where {@code a_j >= 0} and a line above it where
 * {@code a_j < 0}. For a unit with pre-activation bounds {@code l < 0 < u} the line above is
 * {@code u (z - l) / (u - l)} and the line below {@code alpha z}, {@code alpha = 1} when
 * {@code u > -l} and 0 otherwise (the adaptive choice of CROWN); stable units are exact. At the
 * input the row is minimised over the box in closed form. Convolutions go back by transposed
 * convolutions, never dense matrices; average pooling likewise.
 *
 * <p>The pre-activation bounds that the relaxations need come either from the same backward
 * passes, one per ReLU input node with the rows {@code +I} and {@code -I} over its units
 * ({@link Intermediate#CROWN}, "full" CROWN), or from interval propagation
 * ({@link Intermediate#INTERVAL}, CROWN-IBP of Zhang et al., ICLR 2020). In both modes a node that
 * the input reaches through one affine map and elementwise affine maps only keeps its interval
 * bounds, which are then already exact. Margins go back from the logits, so the last layer is
 * merged into the specification.
 *
 * <p>With {@link IntervalDomain.Rounding#OUTWARD} all arithmetic is float64 and the bounds are
 * sound in floating point: the computed coefficients are taken as they are, and every backward
 * step adds to an error term a rigorous bound on how far its rounding moves the bound (the
 * coefficient error {@code gamma_n |a| |W|} times a sound magnitude of the node's values, from
 * outward interval bounds); pre-activation bounds come from the same sound computation,
 * intersected with the outward interval bounds, and the ReLU's upper line is widened until it is
 * valid for the computed slope. The argument is in docs/soundness.md. With NEAREST the arithmetic
 * is that of the input set's type, without allowance (float64 inputs give auto_LiRPA's bounds up to
 * rounding), differentiable, and BatchNorm may use a training step's batch statistics (CROWN-IBP
 * training). Results belong to the manager of the input set's arrays.
 */
public final class LinearBoundDomain implements BoundDomain {

  /** Where the pre-activation bounds of the relaxations come from. */
  public enum Intermediate {
    /** Backward passes of this domain, node by node ("full" CROWN). */
    CROWN,
    /** Interval propagation (CROWN-IBP). */
    INTERVAL
  }

  /** Coefficients per backward pass are kept below this many bytes by splitting the rows. */
  private static final long CHUNK_BYTES = 256L << 20;

  // The rounding allowances of OUTWARD mode; docs/soundness.md derives each.

  /**
   * Multiple of the rigorous error bound of every backward step (Higham's {@code gamma_n} of the
   * coefficient products, the step's constant and its share of the final sums).
   */
  static final double BACKWARD_GAMMAS = 2;
  /**
   * Terms of Higham's {@code gamma} per ReLU coefficient, of {@code |a| (M + |t|)}: the rounding
   * of {@code a s} and {@code a t}, and how far the computed upper line (slope, intercept and the
   * bounds it was fitted to, each rounded) can fall below the ReLU on the exact range.
   */
  static final int RELU_TERMS = 4;

  /**
   * How the lower slopes of unstable ReLUs are optimised for the specification's rows
   * (alpha-CROWN, Xu et al., "Fast and complete", ICLR 2021): Adam on one slope per row and unit,
   * projected onto [0, 1], from CROWN's adaptive slopes, stopping after {@code patience}
   * iterations without a better total; each row keeps the slopes of its best bound. Any slope in
   * [0, 1] gives a valid bound, so the result is as sound as CROWN's.
   *
   * @param iterations at most this many gradient steps
   * @param learningRate Adam's step size
   * @param patience iterations without improvement before stopping
   */
  public record SlopeOptimisation(int iterations, double learningRate, int patience) {

    /** Validates the settings. */
    public SlopeOptimisation {
      if (iterations < 1 || !(learningRate > 0) || patience < 1) {
        throw new IllegalArgumentException("need iterations >= 1, learning rate > 0 and"
            + " patience >= 1");
      }
    }

    /** auto_LiRPA's settings: 100 iterations, learning rate 0.1, patience 20. */
    public static SlopeOptimisation standard() {
      return new SlopeOptimisation(100, 0.1, 20);
    }
  }

  private final Intermediate intermediate;
  private final IntervalDomain.Rounding rounding;
  private final SlopeOptimisation slopes;

  /**
   * A domain whose relaxations use {@code intermediate} pre-activation bounds.
   *
   * @param rounding {@link IntervalDomain.Rounding#OUTWARD} for sound bounds (float64 on the CPU,
   *     every step widened by a rigorous bound on its rounding error), NEAREST for plain float64
   */
  public LinearBoundDomain(Intermediate intermediate, IntervalDomain.Rounding rounding) {
    this(intermediate, rounding, null);
  }

  /**
   * As {@link #LinearBoundDomain(Intermediate, IntervalDomain.Rounding)}, with the lower slopes
   * of the specification's rows optimised ({@code slopes}, or null for CROWN's adaptive slopes).
   * Pre-activation bounds keep CROWN's slopes.
   */
  public LinearBoundDomain(Intermediate intermediate, IntervalDomain.Rounding rounding,
      SlopeOptimisation slopes) {
    this.intermediate = intermediate;
    this.rounding = rounding;
    this.slopes = slopes;
  }

  /** Where the pre-activation bounds come from. */
  public Intermediate intermediate() {
    return intermediate;
  }

  /** The rounding mode. */
  public IntervalDomain.Rounding rounding() {
    return rounding;
  }

  @Override
  public boolean sound() {
    return rounding == IntervalDomain.Rounding.OUTWARD;
  }

  private boolean outward() {
    return rounding == IntervalDomain.Rounding.OUTWARD;
  }

  @Override
  public Box outputBounds(Network network, InputSet input, BatchStatistics stats) {
    Pass pass = new Pass(network, input, stats);
    int last = network.layers().size() - 1;
    if (slopes == null) {
      return pass.nodeBounds(last);
    }
    // Rows +I and -I over the outputs, their slopes optimised like a specification's.
    int classes = network.numClasses();
    NDManager m = pass.manager;
    Box out;
    try (NDManager scope = m.newSubManager()) {
      pass.borrow(scope);
      NDArray eye = scope.eye(classes, classes, 0, pass.type);
      NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0).expandDims(0);
      NDArray lower = pass.optimisedBackward(last, rows, null, scope, slopes);
      NDArray lo = lower.get(new NDIndex(":, 0:{}", classes));
      NDArray hi = lower.get(new NDIndex(":, {}:", classes)).neg();
      lo.attach(m);
      hi.attach(m);
      out = Box.fromBounds(lo, hi);
    }
    return out;
  }

  @Override
  public NDArray lowerBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats) {
    Pass pass = new Pass(network, input, stats);
    NDManager m = pass.manager;
    int classes = network.numClasses();
    int last = network.layers().size() - 1;
    NDArray lower;
    try (NDManager scope = m.newSubManager()) {
      pass.borrow(scope);
      NDArray rows;
      NDArray offset;
      NDArray labelMask = null;
      switch (spec) {
        case Specification.Margins margins -> {
          NDArray label = margins.labels().oneHot(classes).toType(pass.type, false);
          label.attach(scope);
          NDArray eye = scope.eye(classes, classes, 0, pass.type).expandDims(0);
          rows = label.expandDims(1).sub(eye);
          offset = null;
          labelMask = label.neg().add(1);
        }
        case Specification.LinearConstraints constraints -> {
          rows = constraints.matrix().toType(pass.type, false);
          offset = constraints.offset().toType(pass.type, false);
          rows.attach(scope);
          offset.attach(scope);
        }
      }
      lower = slopes == null ? pass.backward(last, rows, offset, scope)
          : pass.optimisedBackward(last, rows, offset, scope, slopes);
      if (labelMask != null) {
        lower = lower.mul(labelMask);
      }
      lower.attach(m);
    }
    return lower;
  }

  /** One bound computation: the input box, the float64 parameters, the node bounds so far. */
  private final class Pass {
    private final Network network;
    private final BatchStatistics stats;
    private final NDManager manager;
    /** float64 in OUTWARD mode, else the input set's type. */
    private final DataType type;
    private final long widest;
    private final Box input;
    private final NodeBoxes intervals;
    /** Bounds of the ReLU input nodes, as they become known. */
    private final Map<Integer, Box> bounds = new HashMap<>();
    /** Relaxations of the ReLU nodes, as they become known. */
    private final Map<Integer, Relaxation> relaxations = new HashMap<>();

    Pass(Network network, InputSet set, BatchStatistics stats) {
      this.network = network;
      this.stats = stats;
      Box box = Box.of(set);
      this.manager = box.centre().getManager();
      this.type = outward() ? DataType.FLOAT64 : box.centre().getDataType();
      Box wide = new Box(box.centre().toType(type, false), box.radius().toType(type, false));
      this.intervals = new IntervalDomain(rounding).nodeBoxes(network, wide, stats);
      // OUTWARD: the input box widened for its own rounding, read as an exact real box.
      this.input = intervals.input();
      long most = input.centre().getShape().size() / input.centre().getShape().get(0);
      for (Box node : intervals.nodes()) {
        most = Math.max(most, node.centre().getShape().size() / node.centre().getShape().get(0));
      }
      this.widest = most;
      for (int i = 0; i < network.layers().size(); i++) {
        Layer layer = network.layers().get(i);
        switch (layer) {
          case Relu r -> {
            int source = network.inputs(i)[0];
            relaxations.put(i, Relaxation.relu(preActivation(source)));
          }
          case MaxPool p -> throw unsupported(layer, i);
          case Sigmoid s -> throw unsupported(layer, i);
          case Tanh t -> throw unsupported(layer, i);
          case Linear l -> { }
          case Conv2d c -> { }
          case BatchNorm b -> { }
          case Normalize n -> { }
          case Flatten f -> { }
          case Add a -> { }
          case AvgPool p -> { }
        }
      }
    }

    /** Bounds of node {@code source}, computed once; interval bounds when they are exact. */
    private Box preActivation(int source) {
      Box known = bounds.get(source);
      if (known != null) {
        return known;
      }
      Box interval = intervals.of(source);
      Box box = intermediate == Intermediate.INTERVAL || intervalIsExact(source)
          ? interval : nodeBounds(source);
      if (outward() && box != interval) {
        box = Box.fromBounds(box.lower().maximum(interval.lower()),
            box.upper().minimum(interval.upper()));
      }
      bounds.put(source, box);
      return box;
    }

    /**
     * Whether the input reaches {@code node} through elementwise affine maps and at most one
     * dense affine map: interval bounds are then the exact range (up to rounding).
     */
    private boolean intervalIsExact(int node) {
      boolean dense = false;
      for (int i = node; i != Network.INPUT; i = network.inputs(i)[0]) {
        switch (kind(network.layers().get(i))) {
          case CONVOLUTION, LINEAR -> {
            if (dense) {
              return false;
            }
            dense = true;
          }
          case CHANNELWISE, FLATTEN -> { }
          case RELU, OTHER -> {
            return false;
          }
        }
      }
      return true;
    }

    /** Lower and upper bounds of every unit of {@code node}, by backward passes in chunks. */
    Box nodeBounds(int node) {
      if (patchable(node)) {
        return patchBounds(node);
      }
      Shape shape = intervals.of(node).centre().getShape();
      long n = shape.get(0);
      Shape unit = shape.slice(1);
      int units = (int) unit.size();
      long widest = widestNode();
      int chunk = (int) Math.max(1, Math.min(units,
          CHUNK_BYTES / (Double.BYTES * 2L * n * widest)));
      return inChunks(shape, units, chunk, (start, size, scope) -> {
        NDArray eye = scope.arange(start, start + size, 1, DataType.INT64).oneHot(units)
            .toType(type, false);
        NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0)
            .reshape(new Shape(1, 2L * size).addAll(unit));
        return backward(node, rows, null, scope);
      });
    }

    /** The lower bounds of the rows {@code +e} then {@code -e} of units {@code [start, +size)}. */
    @FunctionalInterface
    private interface ChunkBounds {
      NDArray lower(int start, int size, NDManager scope);
    }

    /**
     * Bounds of a node of {@code shape} from chunks of {@code chunk} of its {@code total} units
     * (or channels), each computed in its own scope: lower bounds are the first half of a chunk's
     * rows, upper bounds the negated second half.
     */
    private Box inChunks(Shape shape, int total, int chunk, ChunkBounds bounds) {
      List<NDArray> lowers = new ArrayList<>();
      List<NDArray> uppers = new ArrayList<>();
      for (int start = 0; start < total; start += chunk) {
        int size = Math.min(chunk, total - start);
        try (NDManager scope = manager.newSubManager()) {
          borrow(scope);
          NDArray lower = bounds.lower(start, size, scope);
          NDArray lo = lower.get(new NDIndex(":, 0:{}", size));
          NDArray hi = lower.get(new NDIndex(":, {}:", size)).neg();
          lo.attach(manager);
          hi.attach(manager);
          lowers.add(lo);
          uppers.add(hi);
        }
      }
      NDArray lower = NDArrays.concat(new NDList(lowers), 1).reshape(shape);
      NDArray upper = NDArrays.concat(new NDList(uppers), 1).reshape(shape);
      return Box.fromBounds(lower, upper);
    }

    /**
     * Whether {@code node} has image-shaped values and reaches the input through a chain of
     * convolutions and elementwise layers only: its rows then go back as patches.
     */
    private boolean patchable(int node) {
      if (intervals.of(node).centre().getShape().dimension() != 4) {
        return false;
      }
      for (int i = node; i != Network.INPUT; i = network.inputs(i)[0]) {
        switch (kind(network.layers().get(i))) {
          case CONVOLUTION, CHANNELWISE, RELU -> { }
          case LINEAR, FLATTEN, OTHER -> {
            return false;
          }
        }
      }
      return true;
    }

    /**
     * Bounds of every unit of an image-shaped node by backward passes of patches: the row of unit
     * {@code (c, y, x)} only ever covers a window of each earlier node (its receptive field), so
     * it is kept as a {@code [C, K, K]} window with its placement (stride and padding relative
     * to the node) instead of a dense map over the whole node, as auto_LiRPA's patches do. The
     * rows {@code +e} and {@code -e} of every unit go back together, in chunks of channels.
     */
    private Box patchBounds(int node) {
      Shape shape = intervals.of(node).centre().getShape();
      long n = shape.get(0);
      int channels = (int) shape.get(1);
      int height = (int) shape.get(2);
      int width = (int) shape.get(3);
      long widestWindow = 1;
      int k = 1;
      int maxChannels = channels;
      for (int i = node; i != Network.INPUT; i = network.inputs(i)[0]) {
        if (network.layers().get(i) instanceof Conv2d cv) {
          k = (k - 1) * cv.stride() + cv.kernelSize();
          maxChannels = Math.max(maxChannels, cv.inChannels());
          widestWindow = Math.max(widestWindow, (long) maxChannels * k * k);
        }
      }
      long perRow = 2L * n * height * width * widestWindow * Double.BYTES;
      int chunk = (int) Math.max(1, Math.min(channels, CHUNK_BYTES / Math.max(1, perRow)));
      return inChunks(shape, channels, chunk, (start, size, scope) -> {
        NDArray eye = scope.arange(start, start + size, 1, DataType.INT64).oneHot(channels)
            .toType(type, false);
        // [1, 2 size, H, W, C, 1, 1]: +e_c and -e_c at every position.
        NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0)
            .reshape(1, 2L * size, 1, 1, channels, 1, 1)
            .repeat(2, height).repeat(3, width);
        return patchBackward(node, new Patches(rows, 1, 0), scope);
      });
    }

    /**
     * Lower bounds of the patch rows of node {@code start} over the input box.
     *
     * @return {@code [N, R, H, W]} for the rows' {@code R} patches at every position
     */
    private NDArray patchBackward(int start, Patches rows, NDManager scope) {
      Patches p = rows;
      Terms terms = new Terms(outward(), 4);
      int steps = 0;
      for (int i = start; i != Network.INPUT; i = network.inputs(i)[0]) {
        int below = network.inputs(i)[0];
        Shape inputShape = shapeOf(below);
        NDArray a = p.values();
        steps++;
        switch (network.layers().get(i)) {
          case Conv2d cv -> {
            NDArray b = LayerOps.cast(cv.bias(), a, scope);
            terms.constant(patchSum(a).matMul(b.reshape(-1, 1)).squeeze(-1));
            if (terms.outward) {
              terms.error(windowDot(a.abs(), unfold(convolutionReach(cv, below, a, scope), p)),
                  convolutionGamma(cv));
              terms.underflow(magnitude(below), convolutionProducts(cv));
            }
            Shape ps = a.getShape();
            long patches = ps.size() / ps.slice(4).size();
            NDArray flat = a.reshape(patches, ps.get(4), ps.get(5), ps.get(6));
            NDArray back = LayerOps.conv2dTranspose(flat, cv.weight(), cv.stride(), 0, 0, 0);
            Shape bs = back.getShape();
            Patches next = new Patches(back.reshape(ps.slice(0, 4).addAll(bs.slice(1))),
                p.stride() * cv.stride(), p.padding() * cv.stride() + cv.padding());
            p = next.masked(inputShape, scope);
          }
          case BatchNorm bn -> {
            NDArray like = intervals.of(below).centre();
            BatchNorm.Affine affine = bn.affine(stats.recordedOrRunning(i, bn), like);
            NDArray scale = channelsOfPatch(affine.scale());
            terms.constant(patchSum(a).matMul(affine.shift().reshape(-1, 1)).squeeze(-1));
            if (terms.outward) {
              NDArray reach = batchNormReach(i, bn, below, affine, scope);
              terms.error(windowDot(a.abs(), unfold(reach, p)),
                  IntervalDomain.BATCH_NORM_ULPS + 2);
              terms.underflow(reach, IntervalDomain.ELEMENTWISE_OPERATIONS);
            }
            p = new Patches(a.mul(scale), p.stride(), p.padding());
          }
          case Normalize norm -> {
            NDArray like = intervals.of(below).centre();
            NDArray std = LayerOps.perChannel(norm.std(), like);
            NDArray mean = LayerOps.perChannel(norm.mean(), like);
            NDArray scaled = a.div(channelsOfPatch(std));
            terms.constant(patchSum(scaled).matMul(mean.reshape(-1, 1)).squeeze(-1).neg());
            if (terms.outward) {
              NDArray reach = magnitude(below).add(mean.abs()).div(std);
              terms.error(windowDot(a.abs(), unfold(reach, p)),
                  IntervalDomain.NORMALIZE_ULPS + 2);
              terms.underflow(reach, IntervalDomain.ELEMENTWISE_OPERATIONS);
            }
            p = new Patches(scaled, p.stride(), p.padding());
          }
          case Relu r -> {
            Relaxation relax = relaxations.get(i);
            NDArray positive = Activation.relu(a);
            NDArray negative = a.sub(positive);
            NDArray intercept = unfold(relax.upperIntercept(), p);
            terms.constant(windowDot(negative, intercept));
            if (terms.outward) {
              terms.error(windowDot(a.abs(), unfold(magnitude(below), p).add(intercept.abs())),
                  IntervalDomain.gammaUlps(RELU_TERMS));
              terms.underflow(magnitude(below), 2);
            }
            p = new Patches(positive.mul(unfold(relax.lowerSlope(), p))
                .add(negative.mul(unfold(relax.upperSlope(), p))), p.stride(), p.padding());
          }
          case Linear l -> throw notPatchable(i);
          case Flatten f -> throw notPatchable(i);
          case Add add -> throw notPatchable(i);
          case AvgPool ap -> throw notPatchable(i);
          case MaxPool mp -> throw notPatchable(i);
          case Sigmoid g -> throw notPatchable(i);
          case Tanh t -> throw notPatchable(i);
        }
      }
      NDArray a = p.values();
      NDArray centre = unfold(input.centre(), p);
      NDArray radius = unfold(input.radius(), p);
      terms.constant(windowDot(a, centre).sub(windowDot(a.abs(), radius)));
      if (terms.outward) {
        long window = a.getShape().slice(4).size();
        terms.error(windowDot(a.abs(), centre.abs().add(radius)),
            IntervalDomain.gammaUlps(2 * (int) window + 2));
        terms.underflow(input.centre().abs().add(input.radius()), 2);
      }
      Shape rs = a.getShape();
      long n = input.centre().getShape().get(0);
      NDArray result = terms.lower(steps + 1, widestNode());
      return result.broadcast(new Shape(n, rs.get(1), rs.get(2), rs.get(3)));
    }

    /** The most units of any node, the input included. */
    private long widestNode() {
      return widest;
    }

    /**
     * Lower bounds of {@code rows . value(start) + offset} over the input box.
     *
     * @param rows {@code [B, S, ...shape of node start]}, {@code B} 1 or the batch size
     * @param offset {@code [N, S]} or null
     * @return {@code [N, S]}, owned by {@code scope}; in OUTWARD mode lowered by the error bound
     *     and NaN for an example whose bounds are not finite
     */
    NDArray backward(int start, NDArray rows, NDArray offset, NDManager scope) {
      return backward(start, rows, offset, scope, Map.of(), outward());
    }

    /**
     * As {@link #backward(int, NDArray, NDArray, NDManager)}, with the lower slopes of some ReLU
     * nodes given per row ({@code [N, S, ...units]}, values in [0, 1]) and the rounding
     * allowance on or off.
     */
    NDArray backward(int start, NDArray rows, NDArray offset, NDManager scope,
        Map<Integer, NDArray> lowerSlopes, boolean sound) {
      Map<Integer, NDArray> pending = new HashMap<>();
      pending.put(start, rows);
      Terms terms = new Terms(sound, 2);
      terms.constant(offset);
      for (int i = start; i >= 0; i--) {
        NDArray a = pending.remove(i);
        if (a == null) {
          continue;
        }
        Layer layer = network.layers().get(i);
        int[] in = network.inputs(i);
        Shape inputShape = shapeOf(in[0]);
        switch (layer) {
          case Linear l -> {
            NDArray w = LayerOps.cast(l.weight(), a, scope);
            NDArray b = LayerOps.cast(l.bias(), a, scope);
            terms.constant(a.matMul(b.reshape(-1, 1)).squeeze(2));
            if (terms.outward) {
              NDArray reach = LayerOps.linear(magnitude(in[0]), w.abs(), b.abs());
              terms.error(rowsTimes(a.abs(), reach),
                  IntervalDomain.gammaUlps(l.outFeatures() + l.inFeatures() + 2));
              terms.underflow(magnitude(in[0]), l.outFeatures());
            }
            push(pending, in[0], a.matMul(w), terms);
          }
          case Conv2d cv -> {
            long batch = a.getShape().get(0);
            long s = a.getShape().get(1);
            Shape out = a.getShape().slice(2);
            NDArray flat = a.reshape(new Shape(batch * s).addAll(out));
            NDArray b = LayerOps.cast(cv.bias(), a, scope);
            terms.constant(a.reshape(batch, s, out.get(0), -1).sum(new int[] {3})
                .matMul(b.reshape(-1, 1)).squeeze(2));
            if (terms.outward) {
              terms.error(rowsTimes(a.abs(), convolutionReach(cv, in[0], a, scope)),
                  convolutionGamma(cv));
              terms.underflow(magnitude(in[0]), convolutionProducts(cv));
            }
            NDArray back = LayerOps.conv2dTranspose(flat, cv.weight(), cv.stride(),
                cv.padding(), outputPadding(inputShape, out, cv.kernelSize(), cv.stride(),
                    cv.padding(), 1), outputPadding(inputShape, out, cv.kernelSize(),
                    cv.stride(), cv.padding(), 2));
            push(pending, in[0], back.reshape(new Shape(batch, s).addAll(inputShape)), terms);
          }
          case Relu r -> {
            Relaxation relax = relaxations.get(i);
            NDArray positive = Activation.relu(a);
            NDArray negative = a.sub(positive);
            NDArray intercept = relax.upperIntercept().expandDims(1);
            terms.constant(sumUnits(negative.mul(intercept)));
            if (terms.outward) {
              terms.error(sumUnits(a.abs().mul(magnitude(in[0]).expandDims(1).add(
                  intercept.abs()))), IntervalDomain.gammaUlps(RELU_TERMS));
              terms.underflow(magnitude(in[0]), 2);
            }
            NDArray lowerSlope = lowerSlopes.containsKey(i) ? lowerSlopes.get(i)
                : relax.lowerSlope().expandDims(1);
            push(pending, in[0], positive.mul(lowerSlope)
                .add(negative.mul(relax.upperSlope().expandDims(1))), terms);
          }
          case BatchNorm b -> {
            NDArray like = intervals.of(in[0]).centre();
            BatchNorm.Affine affine = b.affine(stats.recordedOrRunning(i, b), like);
            NDArray scale = affine.scale().expandDims(1);
            terms.constant(sumUnits(a.mul(affine.shift().expandDims(1))));
            if (terms.outward) {
              NDArray reach = batchNormReach(i, b, in[0], affine, scope);
              terms.error(sumUnits(a.abs().mul(reach.expandDims(1))),
                  IntervalDomain.BATCH_NORM_ULPS + 2);
              terms.underflow(reach, IntervalDomain.ELEMENTWISE_OPERATIONS);
            }
            push(pending, in[0], a.mul(scale), terms);
          }
          case Normalize norm -> {
            NDArray like = intervals.of(in[0]).centre();
            NDArray std = LayerOps.perChannel(norm.std(), like);
            NDArray mean = LayerOps.perChannel(norm.mean(), like);
            NDArray scaled = a.div(std.expandDims(1));
            terms.constant(sumUnits(scaled.mul(mean.expandDims(1))).neg());
            if (terms.outward) {
              NDArray reach = magnitude(in[0]).add(mean.abs()).div(std);
              terms.error(sumUnits(a.abs().mul(reach.expandDims(1))),
                  IntervalDomain.NORMALIZE_ULPS + 2);
              terms.underflow(reach, IntervalDomain.ELEMENTWISE_OPERATIONS);
            }
            push(pending, in[0], scaled, terms);
          }
          case Flatten f -> push(pending, in[0], a.reshape(new Shape(a.getShape().get(0),
              a.getShape().get(1)).addAll(inputShape)), terms);
          case Add add -> {
            push(pending, in[0], a, terms);
            push(pending, in[1], a, terms);
          }
          case AvgPool p -> {
            if (terms.outward) {
              NDArray reach = LayerOps.avgPool(magnitude(in[0]), p);
              terms.error(sumUnits(a.abs().mul(reach.expandDims(1))),
                  IntervalDomain.gammaUlps(2 * p.kernel() * p.kernel() + 2));
              terms.underflow(magnitude(in[0]), (long) p.kernel() * p.kernel());
            }
            push(pending, in[0], avgPoolAdjoint(a, p, inputShape), terms);
          }
          case MaxPool p -> throw unsupported(layer, i);
          case Sigmoid s -> throw unsupported(layer, i);
          case Tanh t -> throw unsupported(layer, i);
        }
      }
      NDArray a = pending.remove(Network.INPUT);
      NDArray c = input.centre();
      long n = c.getShape().get(0);
      if (a != null) {
        // min over the exact box [c - r, c + r] of a . x is a . c - |a| . r.
        NDArray flat = a.reshape(a.getShape().get(0), a.getShape().get(1), -1);
        NDArray absFlat = flat.abs();
        NDArray centre = flat.matMul(c.reshape(n, -1, 1)).squeeze(2);
        NDArray spread = absFlat.matMul(input.radius().reshape(n, -1, 1)).squeeze(2);
        terms.constant(centre.sub(spread));
        if (terms.outward) {
          NDArray reach = c.abs().add(input.radius()).reshape(n, -1, 1);
          terms.error(absFlat.matMul(reach).squeeze(2),
              IntervalDomain.gammaUlps(2 * (int) flat.getShape().get(2) + 2));
          terms.underflow(reach, 2);
        }
      }
      NDArray result = terms.lower(network.layers().size(), widestNode());
      if (result == null) {
        throw new IllegalStateException("node " + start + " does not depend on the input");
      }
      if (result.getShape().get(0) != n) {
        result = result.broadcast(new Shape(n, result.getShape().get(1)));
      }
      return result;
    }

    /**
     * Lower bounds of the rows with optimised lower slopes: the iterations run without rounding
     * allowance and with gradients; the final bound is computed once more, in this domain's
     * rounding, from each row's best slopes.
     */
    NDArray optimisedBackward(int start, NDArray rows, NDArray offset, NDManager scope,
        SlopeOptimisation settings) {
      long n = input.centre().getShape().get(0);
      long s = rows.getShape().get(1);
      Map<Integer, NDArray> alpha = new HashMap<>();
      Map<Integer, NDArray> free = new HashMap<>();
      Map<Integer, NDArray[]> moments = new HashMap<>();
      for (Map.Entry<Integer, Relaxation> e : relaxations.entrySet()) {
        if (e.getKey() > start) {
          continue;
        }
        Relaxation relax = e.getValue();
        Shape units = relax.lowerSlope().getShape().slice(1);
        Shape full = new Shape(n, s).addAll(units);
        NDArray init = relax.lowerSlope().expandDims(1).broadcast(full).duplicate();
        init.attach(scope);
        init.setRequiresGradient(true);
        alpha.put(e.getKey(), init);
        free.put(e.getKey(), relax.unstable().expandDims(1));
        moments.put(e.getKey(), new NDArray[] {scope.zeros(full, type),
            scope.zeros(full, type)});
      }
      if (alpha.isEmpty()) {
        return backward(start, rows, offset, scope);
      }
      Map<Integer, NDArray> best = new HashMap<>();
      alpha.forEach((k, v) -> best.put(k, v.stopGradient().duplicate()));
      NDArray bestLower = null;
      double bestTotal = Double.NEGATIVE_INFINITY;
      int sinceBest = 0;
      for (int t = 1; t <= settings.iterations() && sinceBest < settings.patience(); t++) {
        try (NDManager step = scope.newSubManager()) {
          borrow(step);
          NDArray lower;
          try (ai.djl.training.GradientCollector collector =
              ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            Map<Integer, NDArray> used = new HashMap<>();
            alpha.forEach((k, v) -> used.put(k, v));
            NDArray stepRows = rows.duplicate();
            stepRows.attach(step);
            lower = backward(start, stepRows, offset, step, used, false);
            collector.backward(lower.sum().neg());
          }
          NDArray detached = lower.stopGradient();
          if (bestLower == null) {
            bestLower = detached.duplicate();
            bestLower.attach(scope);
          } else {
            NDArray better = detached.gt(bestLower);
            NDArray improved = NDArrays.where(better, detached, bestLower);
            improved.attach(scope);
            bestLower.close();
            bestLower = improved;
            for (Map.Entry<Integer, NDArray> e : alpha.entrySet()) {
              NDArray mask = better;
              long extra = e.getValue().getShape().dimension() - 2;
              for (int d = 0; d < extra; d++) {
                mask = mask.expandDims(-1);
              }
              NDArray kept = NDArrays.where(mask.broadcast(e.getValue().getShape()),
                  e.getValue().stopGradient(), best.get(e.getKey()));
              kept.attach(scope);
              best.put(e.getKey(), kept).close();
            }
          }
          double total = detached.sum().getDouble();
          if (total > bestTotal) {
            bestTotal = total;
            sinceBest = 0;
          } else {
            sinceBest++;
          }
          double correction1 = 1 - Math.pow(0.9, t);
          double correction2 = 1 - Math.pow(0.999, t);
          float corrected = (float) (settings.learningRate() * Math.sqrt(correction2)
              / correction1);
          for (Map.Entry<Integer, NDArray> e : alpha.entrySet()) {
            NDArray a = e.getValue();
            NDArray raw = a.getGradient();
            raw.attach(step);
            NDArray gradient = raw.mul(free.get(e.getKey()));
            NDArray[] m = moments.get(e.getKey());
            a.getNDArrayInternal().adamUpdate(new NDList(a, gradient, m[0], m[1]),
                new NDList(a), (float) settings.learningRate(), corrected, 0f, 1f, -1f, 0.9f,
                0.999f, 1e-8f, false, false);
            NDArray clipped = a.clip(0, 1);
            clipped.attach(step);
            clipped.copyTo(a);
            raw.set(new NDIndex("..."), 0);
          }
        }
      }
      Map<Integer, NDArray> finalSlopes = new HashMap<>(best);
      NDArray lower = backward(start, rows, offset, scope, finalSlopes, outward());
      // Never worse than CROWN's own slopes.
      NDArray crown = backward(start, rows, offset, scope);
      return lower.maximum(crown);
    }

    /**
     * Lends the pass's long-lived arrays (boxes, bounds, relaxations) to {@code scope} until it
     * closes. An operation's result belongs to its first operand's manager, so everything a
     * chunk or an iteration derives from them is then freed with it, not kept to the end.
     */
    void borrow(NDManager scope) {
      List<Box> boxes = new ArrayList<>(intervals.nodes());
      boxes.add(intervals.input());
      boxes.add(input);
      boxes.addAll(bounds.values());
      // Each array once: lending one twice would make the scope its own owner.
      java.util.Set<NDArray> lent = java.util.Collections.newSetFromMap(
          new java.util.IdentityHashMap<>());
      for (Box box : boxes) {
        lent.add(box.centre());
        lent.add(box.radius());
      }
      for (Relaxation relax : relaxations.values()) {
        lent.add(relax.lowerSlope());
        lent.add(relax.upperSlope());
        lent.add(relax.upperIntercept());
        lent.add(relax.unstable());
      }
      for (NDArray array : lent) {
        array.tempAttach(scope);
      }
    }

    /**
     * {@code (M + |mean|) |scale| + |beta|} per unit of BatchNorm node {@code node}: the
     * magnitude within which its computed scale and shift round, as in {@link IntervalDomain}.
     */
    private NDArray batchNormReach(int node, BatchNorm bn, int below, BatchNorm.Affine affine,
        NDManager scope) {
      NDArray like = intervals.of(below).centre();
      BatchStatistics.MeanVar mv = stats.recordedOrRunning(node, bn);
      NDArray mean = BatchStatistics.reshapeForChannels(LayerOps.abs(mv.mean(), scope, like),
          like.getShape());
      NDArray beta = BatchStatistics.reshapeForChannels(LayerOps.abs(bn.beta(), scope, like),
          like.getShape());
      return magnitude(below).add(mean).mul(affine.scale().abs()).add(beta);
    }

    /** {@code |W| * M + |b|} per output unit of a convolution reading node {@code below}. */
    private NDArray convolutionReach(Conv2d cv, int below, NDArray like, NDManager scope) {
      NDArray absW = LayerOps.cast(cv.weight(), like, scope).abs();
      NDArray absB = LayerOps.cast(cv.bias(), like, scope).abs();
      return LayerOps.conv2d(magnitude(below), absW, absB, cv.stride(), cv.padding());
    }

    /** {@code |c| + r} of node {@code node}'s sound bounds: a bound on its values' magnitude. */
    private NDArray magnitude(int node) {
      Box box = node == Network.INPUT ? input
          : bounds.getOrDefault(node, intervals.of(node));
      return box.centre().abs().add(box.radius());
    }

    /** Adds {@code a} to the coefficients pending for {@code node}, counting the sum's error. */
    private void push(Map<Integer, NDArray> pending, int node, NDArray a, Terms terms) {
      NDArray earlier = pending.get(node);
      if (earlier == null) {
        pending.put(node, a);
        return;
      }
      NDArray sum = earlier.add(a);
      if (terms.outward) {
        terms.error(rowsTimes(earlier.abs().add(a.abs()), magnitude(node)),
            IntervalDomain.gammaUlps(1));
      }
      pending.put(node, sum);
    }

    /** The shape of one value of {@code node}, without the batch axis. */
    private Shape shapeOf(int node) {
      return intervals.of(node).centre().getShape().slice(1);
    }
  }

  /** Higham's terms for a backward convolution step: the transposed products and the reach. */
  private static double convolutionGamma(Conv2d cv) {
    int taps = cv.kernelSize() * cv.kernelSize();
    return IntervalDomain.gammaUlps((cv.outChannels() + cv.inChannels()) * taps + 2);
  }

  /** Products summed into each coefficient of a backward convolution step. */
  private static long convolutionProducts(Conv2d cv) {
    return (long) cv.outChannels() * cv.kernelSize() * cv.kernelSize();
  }

  /** {@code sum_units |a| m} per row: {@code a [B, S, ...units]}, {@code m [N, ...units]}. */
  private static NDArray rowsTimes(NDArray absA, NDArray m) {
    NDArray flat = absA.reshape(absA.getShape().get(0), absA.getShape().get(1), -1);
    return flat.matMul(m.reshape(m.getShape().get(0), -1, 1)).squeeze(2);
  }

  /**
   * The output padding a transposed convolution needs to give back {@code inputShape} along axis
   * {@code axis} (1 rows, 2 columns) of a value shaped {@code [C, H, W]}.
   */
  private static int outputPadding(Shape inputShape, Shape out, int kernel, int stride,
      int padding, int axis) {
    return (int) (inputShape.get(axis)
        - ((out.get(axis) - 1) * stride - 2L * padding + kernel));
  }

  /**
   * The constant of a backward pass, and in OUTWARD mode the bound on its rounding error: every
   * step adds its constant and {@code gamma} times the magnitudes its rounding can move.
   */
  private static final class Terms {
    final boolean outward;
    private NDArray constant;
    private NDArray constantMagnitude;
    private NDArray error;

    private final int rank;

    /** Terms of rows of rank {@code rank} ({@code [B, S]} 2, patches {@code [B, R, H, W]} 4). */
    Terms(boolean outward, int rank) {
      this.outward = outward;
      this.rank = rank;
    }

    void constant(NDArray term) {
      if (term == null) {
        return;
      }
      constant = constant == null ? term : constant.add(term);
      if (outward) {
        constantMagnitude = constantMagnitude == null ? term.abs()
            : constantMagnitude.add(term.abs());
      }
    }

    /**
     * Adds the underflow of a step whose every coefficient is a sum of {@code products} products
     * (each off by at most {@code 2^-1075} when subnormal), times the magnitudes {@code m} of
     * the node it multiplies, {@code [N, ...units]}.
     */
    void underflow(NDArray m, long products) {
      long[] shape = new long[rank];
      java.util.Arrays.fill(shape, 1);
      shape[0] = m.getShape().get(0);
      NDArray total = m.reshape(m.getShape().get(0), -1).sum(new int[] {1})
          .mul(Constants.scalar(m, 2.0 * products * IntervalDomain.UNDERFLOW))
          .reshape(new Shape(shape));
      error = error == null ? total : error.add(total);
    }

    /** Adds {@code gammaUlps} units of roundoff of {@code magnitude} ({@code [B, S]}). */
    void error(NDArray magnitude, double gammaUlps) {
      NDArray e = magnitude.mul(Constants.scalar(magnitude,
          BACKWARD_GAMMAS * gammaUlps * IntervalDomain.UNIT_ROUNDOFF));
      error = error == null ? e : error.add(e);
    }

    /**
     * The constant minus the error bound: the sums of the constants ({@code steps} of them) and
     * of the errors, and one underflow per product (at most {@code widest} per row and step).
     */
    NDArray lower(int steps, long widest) {
      if (!outward || constant == null) {
        return constant;
      }
      error(constantMagnitude, IntervalDomain.gammaUlps(steps + 2));
      NDArray total = error.mul(Constants.scalar(error,
          1 + IntervalDomain.gammaUlps(steps + 2) * IntervalDomain.UNIT_ROUNDOFF))
          .add(Constants.scalar(error, (double) steps * widest * 4 * IntervalDomain.UNDERFLOW));
      NDArray lower = constant.sub(total);
      // x - x is 0 for finite x and NaN otherwise: NaN marks an example with no finite bound.
      return lower.add(lower.sub(lower));
    }
  }

  /** What the shortcuts of a pass need to know of a layer. */
  private enum Kind { CONVOLUTION, LINEAR, CHANNELWISE, FLATTEN, RELU, OTHER }

  private static Kind kind(Layer layer) {
    return switch (layer) {
      case Conv2d c -> Kind.CONVOLUTION;
      case Linear l -> Kind.LINEAR;
      case BatchNorm b -> Kind.CHANNELWISE;
      case Normalize n -> Kind.CHANNELWISE;
      case Flatten f -> Kind.FLATTEN;
      case Relu r -> Kind.RELU;
      case Add a -> Kind.OTHER;
      case AvgPool p -> Kind.OTHER;
      case MaxPool p -> Kind.OTHER;
      case Sigmoid g -> Kind.OTHER;
      case Tanh t -> Kind.OTHER;
    };
  }

  /** {@code [B, S, ...]} summed over every axis after the first two. */
  private static NDArray sumUnits(NDArray a) {
    return a.reshape(a.getShape().get(0), a.getShape().get(1), -1).sum(new int[] {2});
  }

  /** The adjoint of average pooling (zero padding counted): a transposed uniform convolution. */
  private static NDArray avgPoolAdjoint(NDArray a, AvgPool p, Shape inputShape) {
    long batch = a.getShape().get(0);
    long s = a.getShape().get(1);
    Shape out = a.getShape().slice(2);
    long channels = out.get(0);
    NDArray flat = a.reshape(batch * s * channels, 1, out.get(1), out.get(2));
    NDArray kernel = a.getManager().ones(new Shape(1, 1, p.kernel(), p.kernel()),
        a.getDataType());
    kernel = kernel.div(Constants.scalar(kernel, (double) p.kernel() * p.kernel()));
    NDArray back = LayerOps.conv2dTranspose(flat, kernel, p.stride(), p.padding(),
        outputPadding(inputShape, out, p.kernel(), p.stride(), p.padding(), 1),
        outputPadding(inputShape, out, p.kernel(), p.stride(), p.padding(), 2));
    return back.reshape(new Shape(batch, s).addAll(inputShape));
  }

  /**
   * Rows kept as windows: {@code values [B, R, H, W, C, K, K]} holds, for each of {@code R} rows
   * at each position {@code (y, x)} of the start node, the coefficients over the window of a
   * node {@code [C, ...]} whose top-left corner is {@code (y stride - padding, x stride -
   * padding)}. Entries outside the node are kept at 0.
   */
  private record Patches(NDArray values, int stride, int padding) {

    /** Zeroes the entries that fall outside a node of shape {@code [C, H, W]}. */
    Patches masked(Shape node, NDManager scope) {
      NDArray ones = scope.ones(new Shape(1, 1, node.get(1), node.get(2)), values.getDataType());
      NDArray inside = unfold(ones, this);
      return new Patches(values.mul(inside), stride, padding);
    }
  }

  /**
   * The windows of {@code x [N, C, H, W]} (or a per-channel {@code [1, C, 1, 1]} broadcast to
   * it, never) under {@code p}'s placement: {@code [N, 1, Hs, Ws, C, K, K]} with zeros outside.
   */
  private static NDArray unfold(NDArray x, Patches p) {
    Shape ps = p.values().getShape();
    long hs = ps.get(2);
    long ws = ps.get(3);
    int k = (int) ps.get(5);
    int s = p.stride();
    int pad = p.padding();
    Shape xs = x.getShape();
    long h = xs.get(2);
    long w = xs.get(3);
    long needH = (hs - 1) * s + k;
    long needW = (ws - 1) * s + k;
    NDArray padded = pad2d(x, pad, (int) Math.max(0, needH - pad - h), pad,
        (int) Math.max(0, needW - pad - w));
    List<NDArray> taps = new ArrayList<>();
    for (int ky = 0; ky < k; ky++) {
      for (int kx = 0; kx < k; kx++) {
        taps.add(padded.get(new NDIndex(":, :, {}:{}:{}, {}:{}:{}", ky, ky + (hs - 1) * s + 1, s,
            kx, kx + (ws - 1) * s + 1, s)));
      }
    }
    // [N, C, Hs, Ws, K*K] -> [N, 1, Hs, Ws, C, K, K]
    NDArray stacked = NDArrays.stack(new NDList(taps), 4);
    return stacked.reshape(xs.get(0), xs.get(1), hs, ws, k, k).transpose(0, 2, 3, 1, 4, 5)
        .expandDims(1);
  }

  /** {@code x [N, C, H, W]} padded with zeros: rows above and below, columns left and right. */
  private static NDArray pad2d(NDArray x, int top, int bottom, int left, int right) {
    NDArray out = x;
    Shape s = out.getShape();
    if (top > 0 || bottom > 0) {
      out = NDArrays.concat(new NDList(out.getManager().zeros(new Shape(s.get(0), s.get(1), top,
          s.get(3)), x.getDataType()), out, out.getManager().zeros(new Shape(s.get(0), s.get(1),
          bottom, s.get(3)), x.getDataType())), 2);
    }
    s = out.getShape();
    if (left > 0 || right > 0) {
      out = NDArrays.concat(new NDList(out.getManager().zeros(new Shape(s.get(0), s.get(1),
          s.get(2), left), x.getDataType()), out, out.getManager().zeros(new Shape(s.get(0),
          s.get(1), s.get(2), right), x.getDataType())), 3);
    }
    return out;
  }

  /** {@code sum over the window of a * b}: {@code [B, R, H, W, C, K, K]} to {@code [B, R, H, W]}. */
  private static NDArray windowDot(NDArray a, NDArray b) {
    NDArray product = a.mul(b);
    Shape s = product.getShape();
    return product.reshape(s.get(0), s.get(1), s.get(2), s.get(3), -1).sum(new int[] {4});
  }

  /** The window summed over its space: {@code [B, R, H, W, C]}. */
  private static NDArray patchSum(NDArray a) {
    return a.sum(new int[] {5, 6});
  }

  /** A per-channel {@code [1, C, 1, 1]} array shaped to scale a patch's channel axis. */
  private static NDArray channelsOfPatch(NDArray perChannel) {
    return perChannel.reshape(1, 1, 1, 1, -1, 1, 1);
  }

  /**
   * The two lines that bound a ReLU on {@code [l, u]}: {@code lowerSlope z} below and
   * {@code upperSlope z + upperIntercept} above, each {@code [N, ...units]}.
   */
  private record Relaxation(NDArray lowerSlope, NDArray upperSlope, NDArray upperIntercept,
      NDArray unstable) {

    /** The CROWN lines for {@code bounds} (their rounding is allowed for by the caller). */
    static Relaxation relu(Box bounds) {
      NDArray lower = bounds.lower();
      NDArray upper = bounds.upper();
      NDArray zero = Constants.scalar(lower, 0);
      NDArray negativePart = lower.minimum(zero);
      NDArray positivePart = upper.maximum(zero);
      NDArray width = positivePart.sub(negativePart);
      NDArray spans = width.gt(zero);
      NDArray slope = NDArrays.where(spans, positivePart.div(NDArrays.where(spans, width,
          width.onesLike())), width.zerosLike());
      NDArray intercept = slope.mul(negativePart).neg();
      NDArray lowerSlope = positivePart.gt(negativePart.neg()).toType(lower.getDataType(),
          false);
      NDArray unstable = lower.lt(zero).logicalAnd(upper.gt(zero))
          .toType(lower.getDataType(), false);
      return new Relaxation(lowerSlope, slope, intercept, unstable);
    }
  }

  private static IllegalStateException notPatchable(int index) {
    return new IllegalStateException("unreachable: node " + index + " was checked patchable");
  }

  private static IllegalArgumentException unsupported(Layer layer, int index) {
    return new IllegalArgumentException("linear bounds do not relax " + layer.describe()
        + " (node " + index + ") yet");
  }
}
