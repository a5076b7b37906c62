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
 * <p>All arithmetic is float64 with round-to-nearest; {@link #sound()} is false: these bounds
 * hold in exact arithmetic but are not yet widened for rounding. Results belong to the manager of
 * the input set's arrays.
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

  private final Intermediate intermediate;

  /** A domain whose relaxations use {@code intermediate} pre-activation bounds. */
  public LinearBoundDomain(Intermediate intermediate) {
    this.intermediate = intermediate;
  }

  /** Where the pre-activation bounds come from. */
  public Intermediate intermediate() {
    return intermediate;
  }

  @Override
  public boolean sound() {
    return false;
  }

  @Override
  public Box outputBounds(Network network, InputSet input, BatchStatistics stats) {
    Pass pass = new Pass(network, input, stats);
    return pass.nodeBounds(network.layers().size() - 1);
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
      NDArray rows;
      NDArray offset;
      NDArray labelMask = null;
      switch (spec) {
        case Specification.Margins margins -> {
          NDArray label = margins.labels().oneHot(classes).toType(DataType.FLOAT64, false);
          label.attach(scope);
          NDArray eye = scope.eye(classes, classes, 0, DataType.FLOAT64).expandDims(0);
          rows = label.expandDims(1).sub(eye);
          offset = null;
          labelMask = label.neg().add(1);
        }
        case Specification.LinearConstraints constraints -> {
          rows = constraints.matrix().toType(DataType.FLOAT64, false);
          offset = constraints.offset().toType(DataType.FLOAT64, false);
          rows.attach(scope);
          offset.attach(scope);
        }
      }
      lower = pass.backward(last, rows, offset, scope);
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
    private final Box input;
    private final NodeBoxes intervals;
    /** Bounds of the ReLU input nodes, as they become known. */
    private final Map<Integer, Box> bounds = new HashMap<>();
    /** Relaxations of the ReLU nodes, as they become known. */
    private final Map<Integer, Relaxation> relaxations = new HashMap<>();

    Pass(Network network, InputSet set, BatchStatistics stats) {
      if (stats.isTraining()) {
        throw new IllegalArgumentException("linear bounds use BatchNorm running statistics;"
            + " pass BatchStatistics.evaluation()");
      }
      this.network = network;
      this.stats = stats;
      Box box = Box.of(set);
      this.manager = box.centre().getManager();
      this.input = Box.fromBounds(box.lower().toType(DataType.FLOAT64, false),
          box.upper().toType(DataType.FLOAT64, false));
      this.intervals = new IntervalDomain(IntervalDomain.Rounding.NEAREST)
          .nodeBoxes(network, input, stats);
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
          default -> { }
        }
      }
    }

    /** Bounds of node {@code source}, computed once; interval bounds when they are exact. */
    private Box preActivation(int source) {
      Box known = bounds.get(source);
      if (known != null) {
        return known;
      }
      Box box = intermediate == Intermediate.INTERVAL || intervalIsExact(source)
          ? intervals.of(source) : nodeBounds(source);
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
        switch (network.layers().get(i)) {
          case Linear l -> {
            if (dense) {
              return false;
            }
            dense = true;
          }
          case Conv2d c -> {
            if (dense) {
              return false;
            }
            dense = true;
          }
          case BatchNorm b -> { }
          case Normalize n -> { }
          case Flatten f -> { }
          default -> {
            return false;
          }
        }
      }
      return true;
    }

    /** Lower and upper bounds of every unit of {@code node}, by backward passes in chunks. */
    Box nodeBounds(int node) {
      Shape shape = intervals.of(node).centre().getShape();
      long n = shape.get(0);
      Shape unit = shape.slice(1);
      int units = (int) unit.size();
      long widest = widestNode();
      int chunk = (int) Math.max(1, Math.min(units,
          CHUNK_BYTES / (Double.BYTES * 2L * n * widest)));
      List<NDArray> lowers = new ArrayList<>();
      List<NDArray> uppers = new ArrayList<>();
      for (int start = 0; start < units; start += chunk) {
        int size = Math.min(chunk, units - start);
        try (NDManager scope = manager.newSubManager()) {
          NDArray eye = scope.arange(start, start + size, 1, DataType.INT64).oneHot(units)
              .toType(DataType.FLOAT64, false);
          NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0)
              .reshape(new Shape(1, 2L * size).addAll(unit));
          NDArray lower = backward(node, rows, null, scope);
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

    private long widestNode() {
      long widest = input.centre().getShape().size() / input.centre().getShape().get(0);
      for (Box box : intervals.nodes()) {
        widest = Math.max(widest, box.centre().getShape().size() / box.centre().getShape().get(0));
      }
      return widest;
    }

    /**
     * Lower bounds of {@code rows . value(start) + offset} over the input box.
     *
     * @param rows {@code [B, S, ...shape of node start]}, {@code B} 1 or the batch size
     * @param offset {@code [N, S]} or null
     * @return {@code [N, S]}, owned by {@code scope}
     */
    NDArray backward(int start, NDArray rows, NDArray offset, NDManager scope) {
      Map<Integer, NDArray> pending = new HashMap<>();
      pending.put(start, rows);
      NDArray constant = offset;
      for (int i = start; i >= 0; i--) {
        NDArray a = pending.remove(i);
        if (a == null) {
          continue;
        }
        Layer layer = network.layers().get(i);
        int[] in = network.inputs(i);
        Shape inputShape = shapeOf(in[0]);
        NDArray term = null;
        switch (layer) {
          case Linear l -> {
            NDArray w = LayerOps.cast(l.weight(), a, scope);
            NDArray b = LayerOps.cast(l.bias(), a, scope);
            term = a.matMul(b.reshape(-1, 1)).squeeze(2);
            push(pending, in[0], a.matMul(w));
          }
          case Conv2d cv -> {
            long batch = a.getShape().get(0);
            long s = a.getShape().get(1);
            Shape out = a.getShape().slice(2);
            NDArray flat = a.reshape(new Shape(batch * s).addAll(out));
            NDArray b = LayerOps.cast(cv.bias(), a, scope);
            term = a.reshape(batch, s, out.get(0), -1).sum(new int[] {3})
                .matMul(b.reshape(-1, 1)).squeeze(2);
            int padH = (int) (inputShape.get(1)
                - ((out.get(1) - 1) * cv.stride() - 2L * cv.padding() + cv.kernelSize()));
            int padW = (int) (inputShape.get(2)
                - ((out.get(2) - 1) * cv.stride() - 2L * cv.padding() + cv.kernelSize()));
            NDArray back = LayerOps.conv2dTranspose(flat, cv.weight(), cv.stride(),
                cv.padding(), padH, padW);
            push(pending, in[0], back.reshape(new Shape(batch, s).addAll(inputShape)));
          }
          case Relu r -> {
            Relaxation relax = relaxations.get(i);
            NDArray positive = Activation.relu(a);
            NDArray negative = a.sub(positive);
            term = sumUnits(negative.mul(relax.upperIntercept().expandDims(1)));
            push(pending, in[0], positive.mul(relax.lowerSlope().expandDims(1))
                .add(negative.mul(relax.upperSlope().expandDims(1))));
          }
          case BatchNorm b -> {
            BatchNorm.Affine affine = b.affine(stats.recordedOrRunning(i, b),
                intervals.of(in[0]).centre());
            NDArray scale = affine.scale().expandDims(1);
            term = sumUnits(a.mul(affine.shift().expandDims(1)));
            push(pending, in[0], a.mul(scale));
          }
          case Normalize norm -> {
            NDArray like = intervals.of(in[0]).centre();
            NDArray std = LayerOps.perChannel(norm.std(), like);
            NDArray mean = LayerOps.perChannel(norm.mean(), like);
            NDArray scaled = a.div(std.expandDims(1));
            term = sumUnits(scaled.mul(mean.expandDims(1))).neg();
            push(pending, in[0], scaled);
          }
          case Flatten f -> push(pending, in[0], a.reshape(new Shape(a.getShape().get(0),
              a.getShape().get(1)).addAll(inputShape)));
          case Add add -> {
            push(pending, in[0], a);
            push(pending, in[1], a);
          }
          case AvgPool p -> push(pending, in[0], avgPoolAdjoint(a, p, inputShape));
          case MaxPool p -> throw unsupported(layer, i);
          case Sigmoid s -> throw unsupported(layer, i);
          case Tanh t -> throw unsupported(layer, i);
        }
        if (term != null) {
          constant = constant == null ? term : constant.add(term);
        }
      }
      NDArray a = pending.remove(Network.INPUT);
      NDArray c = input.centre();
      long n = c.getShape().get(0);
      NDArray result = constant;
      if (a != null) {
        NDArray flat = a.reshape(a.getShape().get(0), a.getShape().get(1), -1);
        NDArray centre = flat.matMul(c.reshape(n, -1, 1)).squeeze(2);
        NDArray spread = flat.abs().matMul(input.radius().reshape(n, -1, 1)).squeeze(2);
        NDArray value = centre.sub(spread);
        result = result == null ? value : value.add(result);
      }
      if (result == null) {
        throw new IllegalStateException("node " + start + " does not depend on the input");
      }
      if (result.getShape().get(0) != n) {
        result = result.broadcast(new Shape(n, result.getShape().get(1)));
      }
      return result;
    }

    /** The shape of one value of {@code node}, without the batch axis. */
    private Shape shapeOf(int node) {
      return intervals.of(node).centre().getShape().slice(1);
    }
  }

  /** Adds {@code a} to the coefficients pending for {@code node}. */
  private static void push(Map<Integer, NDArray> pending, int node, NDArray a) {
    pending.merge(node, a, NDArray::add);
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
    int padH = (int) (inputShape.get(1)
        - ((out.get(1) - 1) * p.stride() - 2L * p.padding() + p.kernel()));
    int padW = (int) (inputShape.get(2)
        - ((out.get(2) - 1) * p.stride() - 2L * p.padding() + p.kernel()));
    NDArray back = LayerOps.conv2dTranspose(flat, kernel, p.stride(), p.padding(), padH, padW);
    return back.reshape(new Shape(batch, s).addAll(inputShape));
  }

  /**
   * The two lines that bound a ReLU on {@code [l, u]}: {@code lowerSlope z} below and
   * {@code upperSlope z + upperIntercept} above, each {@code [N, ...units]}.
   */
  private record Relaxation(NDArray lowerSlope, NDArray upperSlope, NDArray upperIntercept) {

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
      NDArray lowerSlope = positivePart.gt(negativePart.neg()).toType(DataType.FLOAT64, false);
      return new Relaxation(lowerSlope, slope, intercept);
    }
  }

  private static IllegalArgumentException unsupported(Layer layer, int index) {
    return new IllegalArgumentException("linear bounds do not relax " + layer.describe()
        + " (node " + index + ") yet");
  }
}
