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
 * convolutions, never dense matrices; average pooling likewise. Sigmoid and Tanh take chords
 * and derivative-bounded lines through the range's ends ({@link SShapedLines}); max pooling
 * takes the input with the largest lower bound below, and above it the same input where that
 * input dominates the window, else the window's largest upper bound.
 *
 * <p>The pre-activation bounds that the relaxations need come either from the same backward
 * passes, one per ReLU input node with the rows {@code +I} and {@code -I} over its units
 * ({@link Intermediate#CROWN}, "full" CROWN), or from interval propagation
 * ({@link Intermediate#INTERVAL}, CROWN-IBP of Zhang et al., ICLR 2020). In both modes a node that
 * the input reaches through one affine map and elementwise affine maps only keeps its interval
 * bounds, which are then already exact. Margins go back from the logits, so the last layer is
 * merged into the specification.
 *
 * <p>With {@link IntervalDomain.Rounding#OUTWARD} the arithmetic is float64 (or float32, see
 * {@link SoundArithmetic}) and the bounds are sound in floating point: the computed coefficients
 * are taken as they are, and every backward step adds to an error term a rigorous bound on how
 * far its rounding moves the bound (the coefficient error {@code gamma_n |a| |W|} times a sound
 * magnitude of the node's values, from outward interval bounds); pre-activation bounds come from
 * the same sound computation, intersected with the outward interval bounds, and the ReLU's upper
 * line is widened until it is valid for the computed slope. The argument is in docs/soundness.md.
 * With NEAREST the arithmetic is that of the input set's type, without allowance (float64 inputs
 * give auto_LiRPA's bounds up to rounding), differentiable, and BatchNorm may use a training
 * step's batch statistics (CROWN-IBP training). Results belong to the manager of the input set's
 * arrays.
 */
public final class LinearBoundDomain implements BoundDomain {

  /** Where the pre-activation bounds of the relaxations come from. */
  public enum Intermediate {
    /** Backward passes of this domain, node by node ("full" CROWN). */
    CROWN,
    /** Interval propagation (CROWN-IBP). */
    INTERVAL
  }

  /** The arithmetic of sound ({@link IntervalDomain.Rounding#OUTWARD}) passes. */
  public enum SoundArithmetic {
    /**
     * float64: allowances of float64 size, so bounds lie within about {@code 1e-12} relative of
     * the bound computed to nearest (the default).
     */
    FLOAT64,
    /**
     * float32 with float32 allowances (docs/soundness.md): several times faster and in half the
     * memory on convolutional networks, but the allowances ({@code gamma_n} of float32, about
     * {@code n 6e-8} of the magnitudes) loosen the bounds, measured 0.32% on the reference FC
     * network and 0.59% on the reference CNN3 (CROWN, untrained, eps 0.1); they compound with
     * depth (a standard-trained MNIST 256x6 net certifies 2 of 100 images at eps 0.03 instead
     * of 8). Networks with Sigmoid or Tanh layers still go in float64, where their lines are
     * fitted.
     */
    FLOAT32
  }

  /** Coefficients per backward pass are kept below this many bytes by splitting the rows. */
  private static final long CHUNK_BYTES = 256L << 20;
  /**
   * alpha-CROWN optimises examples in groups whose slopes take at most this many bytes
   * ({@link #SLOPE_COPIES} included), and a pre-activation node's slopes only when one example's
   * fit.
   */
  private static final long ALPHA_BYTES = 1L << 30;
  /**
   * Arrays of a slope array's size that one alpha-CROWN iteration keeps alive: the slopes, their
   * gradient and Adam's two moments, and the backward pass's products kept for the gradient
   * (measured: 0.23 GB per example of an MNIST 256x6 net at eps 0.05 against 0.25 GB estimated).
   */
  private static final int SLOPE_COPIES = 16;

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
   * How the lower slopes of unstable ReLUs are optimised (alpha-CROWN, Xu et al., "Fast and
   * complete", ICLR 2021): Adam on one slope per unit and per row of every bound that passes the
   * ReLU (the specification's rows and the intermediate pre-activation bounds), projected onto
   * [0, 1], from CROWN's adaptive slopes, stopping after {@code patience} iterations without a
   * better total; each row keeps its best bound. Any slope in [0, 1] gives a valid bound, so the
   * result is as sound as CROWN's.
   *
   * @param iterations at most this many gradient steps
   * @param learningRate Adam's first step size
   * @param learningRateDecay factor on the step size after every iteration
   * @param patience iterations without improvement before stopping
   * @param intermediate whether the slopes of the pre-activation bounds are optimised too (else
   *     those bounds stay as computed or given, and only the specification's slopes move)
   */
  public record SlopeOptimisation(int iterations, double learningRate,
      double learningRateDecay, int patience, boolean intermediate) {

    /** Settings that optimise the pre-activation bounds' slopes too. */
    public SlopeOptimisation(int iterations, double learningRate, double learningRateDecay,
        int patience) {
      this(iterations, learningRate, learningRateDecay, patience, true);
    }

    /** Validates the settings. */
    public SlopeOptimisation {
      if (iterations < 1 || !(learningRate > 0) || !(learningRateDecay > 0)
          || learningRateDecay > 1 || patience < 1) {
        throw new IllegalArgumentException("need iterations >= 1, learning rate > 0, decay in"
            + " (0, 1] and patience >= 1");
      }
    }

    /** auto_LiRPA's settings: 100 iterations, learning rate 0.1 decaying by 0.98, patience 20. */
    public static SlopeOptimisation standard() {
      return new SlopeOptimisation(100, 0.1, 0.98, 20);
    }
  }

  private final Intermediate intermediate;
  private final IntervalDomain.Rounding rounding;
  private final SlopeOptimisation slopes;
  private final SoundArithmetic arithmetic;

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
   * optimised ({@code slopes}, or null for CROWN's adaptive slopes): those of the
   * specification's rows and, with {@link Intermediate#CROWN}, those of the pre-activation
   * bounds.
   */
  public LinearBoundDomain(Intermediate intermediate, IntervalDomain.Rounding rounding,
      SlopeOptimisation slopes) {
    this(intermediate, rounding, slopes, SoundArithmetic.FLOAT64);
  }

  /**
   * As {@link #LinearBoundDomain(Intermediate, IntervalDomain.Rounding, SlopeOptimisation)}, with
   * the arithmetic of the sound passes chosen (ignored to nearest).
   */
  public LinearBoundDomain(Intermediate intermediate, IntervalDomain.Rounding rounding,
      SlopeOptimisation slopes, SoundArithmetic arithmetic) {
    this.intermediate = intermediate;
    this.rounding = rounding;
    this.slopes = slopes;
    this.arithmetic = java.util.Objects.requireNonNull(arithmetic, "arithmetic");
  }

  /**
   * The type of a sound pass over {@code network}: float64, or float32 when so chosen and no
   * Sigmoid or Tanh layer needs its float64 lines.
   */
  private DataType soundType(Network network) {
    if (arithmetic == SoundArithmetic.FLOAT64) {
      return DataType.FLOAT64;
    }
    for (Layer layer : network.layers()) {
      if (layer instanceof Sigmoid || layer instanceof Tanh) {
        return DataType.FLOAT64;
      }
    }
    return DataType.FLOAT32;
  }

  /** The arithmetic of the sound passes. */
  public SoundArithmetic arithmetic() {
    return arithmetic;
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

  /** Whether the specification's slopes are optimised (alpha-CROWN), so warm starts matter. */
  public boolean optimisesSlopes() {
    return slopes != null;
  }

  @Override
  public Box outputBounds(Network network, InputSet input, BatchStatistics stats) {
    Pass pass = new Pass(network, input, stats, ReluSplits.none());
    int last = network.layers().size() - 1;
    if (slopes == null) {
      return exported(pass.nodeBounds(last, false));
    }
    // Rows +I and -I over the outputs, their slopes optimised like a specification's.
    int classes = network.numClasses();
    NDManager m = pass.manager;
    Box out;
    try (NDManager scope = m.newSubManager()) {
      pass.borrow(scope);
      NDArray eye = scope.eye(classes, classes, 0, pass.type);
      NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0).expandDims(0);
      NDArray lower = optimised(pass, network, stats, last, rows, null, scope);
      NDArray lo = lower.get(new NDIndex(":, 0:{}", classes));
      NDArray hi = lower.get(new NDIndex(":, {}:", classes)).neg();
      lo.attach(m);
      hi.attach(m);
      out = Box.fromBounds(lo, hi);
    }
    return exported(out);
  }

  /**
   * {@code box} in float64 when it is float32 from a sound pass (exactly: every float32 is a
   * float64), so sound results have one type whatever the pass computed in.
   */
  private Box exported(Box box) {
    return new Box(exported(box.centre()), exported(box.radius()));
  }

  /** {@code array} in float64 when it is float32 from a sound pass; else itself. */
  private NDArray exported(NDArray array) {
    return sound() && array.getDataType() == DataType.FLOAT32
        ? array.toType(DataType.FLOAT64, false) : array;
  }

  /**
   * The bounds one CROWN pass computes for the input of every ReLU node and for the output.
   *
   * @param reluInputs in ReLU node order, batch-first
   * @param output the output box
   */
  public record LayerBounds(List<Box> reluInputs, Box output) { }

  /**
   * The pre-activation bounds of every ReLU node and the output bounds, from one pass (as
   * {@link #outputBounds} computes them, CROWN's slopes); for the big-M constants of an exact
   * encoding, say. Units stable on their interval bounds keep those.
   */
  public LayerBounds layerBounds(Network network, InputSet input, BatchStatistics stats) {
    Pass pass = new Pass(network, input, stats, ReluSplits.none());
    Box output = pass.nodeBounds(network.layers().size() - 1, false);
    List<Box> reluInputs = new ArrayList<>();
    for (int i = 0; i < network.layers().size(); i++) {
      if (network.layers().get(i) instanceof Relu) {
        reluInputs.add(exported(pass.preActivation(network.inputs(i)[0], true)));
      }
    }
    return new LayerBounds(List.copyOf(reluInputs), exported(output));
  }

  @Override
  public NDArray lowerBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats) {
    Box box = Box.of(input);
    long n = box.centre().getShape().get(0);
    long group = examplesPerPass(network, box, stats);
    if (group >= n) {
      return exported(specificationBounds(new Pass(network, box, stats, rounding,
          ReluSplits.none(), Map.of()), spec));
    }
    NDManager m = box.centre().getManager();
    List<NDArray> parts = new ArrayList<>();
    for (long from = 0; from < n; from += group) {
      NDIndex examples = new NDIndex("{}:{}", from, Math.min(n, from + group));
      try (NDManager part = m.newSubManager()) {
        NDArray centre = box.centre().get(examples);
        NDArray radius = box.radius().get(examples);
        centre.attach(part);
        radius.attach(part);
        Pass pass = new Pass(network, new Box(centre, radius), stats, rounding,
            ReluSplits.none(), Map.of());
        NDArray lower = exported(specificationBounds(pass, rowsOf(spec, examples, part)));
        lower.attach(m);
        parts.add(lower);
      }
    }
    return NDArrays.concat(new NDList(parts), 0);
  }

  /** The examples {@code examples} of {@code spec}, their arrays in {@code scope}. */
  private static Specification rowsOf(Specification spec, NDIndex examples, NDManager scope) {
    return switch (spec) {
      case Specification.Margins margins -> {
        NDArray labels = margins.labels().get(examples);
        labels.attach(scope);
        yield new Specification.Margins(labels);
      }
      case Specification.LinearConstraints constraints -> {
        NDArray matrix = constraints.matrix().get(examples);
        NDArray offset = constraints.offset().get(examples);
        matrix.attach(scope);
        offset.attach(scope);
        yield new Specification.LinearConstraints(matrix, offset);
      }
    };
  }

  /**
   * Examples per pass of {@link #lowerBounds}: all, unless the patch rows of a single example
   * already take several chunks at some node (CNN7: 43 at its last convolution). Chunks shrink
   * with the batch while each still unfolds every example's windows, so such networks go one
   * example per pass (per image, batch 2 took 1.7 times batch 1 in one pass).
   */
  long examplesPerPass(Network network, Box box, BatchStatistics stats) {
    long n = box.centre().getShape().get(0);
    if (n == 1 || intermediate != Intermediate.CROWN) {
      return n;
    }
    try (NDManager probe = box.centre().getManager().newSubManager()) {
      NDArray first = box.centre().get("0:1");
      first.attach(probe);
      NDArray point = first.toType(DataType.FLOAT32, true);
      NodeBoxes shapes = new IntervalDomain(IntervalDomain.Rounding.NEAREST).nodeBoxes(network,
          new Box(point, point.zerosLike()), stats);
      for (int i = 0; i < network.layers().size(); i++) {
        if (network.layers().get(i) instanceof Relu) {
          int node = network.inputs(i)[0];
          Shape shape = shapes.of(node).centre().getShape();
          if (patchable(network, node, shape) && patchChunk(network, node, shape)
              < shape.get(1)) {
            return 1;
          }
        }
      }
    }
    return n;
  }

  /**
   * Whether {@code node} (values of {@code shape}) is image-shaped and reaches the input through
   * a chain of convolutions and elementwise layers only: its rows then go back as patches.
   */
  private static boolean patchable(Network network, int node, Shape shape) {
    if (shape.dimension() != 4) {
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
   * Channels per chunk of {@code node}'s patch rows ({@code shape [N, C, H, W]}), so that one
   * chunk's coefficients stay within {@link #CHUNK_BYTES}.
   */
  private static int patchChunk(Network network, int node, Shape shape) {
    long widestWindow = 1;
    int k = 1;
    int maxChannels = (int) shape.get(1);
    for (int i = node; i != Network.INPUT; i = network.inputs(i)[0]) {
      if (network.layers().get(i) instanceof Conv2d cv) {
        k = (k - 1) * cv.stride() + cv.kernelSize();
        maxChannels = Math.max(maxChannels, cv.inChannels());
        widestWindow = Math.max(widestWindow, (long) maxChannels * k * k);
      }
    }
    long perRow = 2L * shape.get(0) * shape.get(2) * shape.get(3) * widestWindow * Double.BYTES;
    return (int) Math.max(1, Math.min(shape.get(1), CHUNK_BYTES / Math.max(1, perRow)));
  }

  /**
   * Bounds of a batch of branch-and-bound subproblems.
   *
   * @param lower the specification's lower bounds {@code [N, S]} over the points of the input set
   *     that satisfy the example's splits
   * @param reluInputs the pre-activation bounds of every ReLU node in node order, batch-first,
   *     with the splits applied ({@code [0, u]} for {@code +1}, {@code [l, 0]} for {@code -1}):
   *     alpha-CROWN's tightened ones where its last evaluation computed them, else CROWN's
   * @param infeasible boolean {@code [N]}: the splits leave no point of the input set (a
   *     pre-activation bound crossed its opposite), so the example holds vacuously
   * @param upperLineWeights per ReLU node in node order, {@code sum_s max(0, -a_s)} over the
   *     specification's rows of their coefficients {@code a} on the ReLU's output ({@code [N,
   *     ...units]}, float32): where the ReLU's upper line, and its intercept, enter the bound; an
   *     entry is null for a ReLU whose rows went back as patches
   * @param optimised the specification's slopes and multipliers the bounds were computed with
   *     (alpha-CROWN's best per example), to start a subproblem's children from; null when the
   *     domain does not optimise slopes
   */
  public record BranchBounds(NDArray lower, List<Box> reluInputs, NDArray infeasible,
      List<NDArray> upperLineWeights, WarmStart optimised) { }

  /**
   * Where alpha-CROWN starts the specification's slopes and beta-CROWN multipliers instead of
   * CROWN's slopes and zero multipliers: a parent subproblem's optimised ones, say. Any values
   * are sound starts (the slopes are clipped to [0, 1], the multipliers to at least 0); they
   * only change how good the bound gets in few iterations.
   *
   * @param slopes per ReLU node (its index in the network), the lower slopes of the
   *     specification's rows, {@code [N, S, ...units]}; a node left out starts from CROWN's
   * @param betas per ReLU node with splits, the multipliers {@code [N, S, ...units]} (used
   *     where a unit is split); a node left out starts from 0
   */
  public record WarmStart(Map<Integer, NDArray> slopes, Map<Integer, NDArray> betas) {

    /** Copies the maps. */
    public WarmStart {
      slopes = Map.copyOf(slopes);
      betas = Map.copyOf(betas);
    }

    /** The examples {@code examples} of every array. */
    WarmStart rows(NDIndex examples) {
      Map<Integer, NDArray> a = new HashMap<>();
      Map<Integer, NDArray> b = new HashMap<>();
      slopes.forEach((relu, x) -> a.put(relu, x.get(examples)));
      betas.forEach((relu, x) -> b.put(relu, x.get(examples)));
      return new WarmStart(a, b);
    }
  }

  /**
   * The lower bounds of {@code spec} under case splits on ReLU inputs, one set of splits per
   * example: a unit split {@code +1} is bounded as a ReLU whose input is at least 0 (so the ReLU
   * is the identity there), {@code -1} as one whose input is at most 0. Sound for the points of
   * the input set that satisfy the splits, in the same sense as {@link #lowerBounds}. Results
   * belong to the manager of the input set's arrays.
   */
  public BranchBounds branchBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats, ReluSplits splits) {
    return branchBounds(network, input, spec, stats, splits, null, null);
  }

  /**
   * As {@link #branchBounds(Network, InputSet, Specification, BatchStatistics, ReluSplits)},
   * keeping given pre-activation bounds instead of computing them: a subproblem's parent's
   * bounds, which stay sound for it (its points are among the parent's). Only the
   * specification's rows go back, so a subproblem costs one backward pass; the splits still
   * make the split units' relaxations exact.
   *
   * @param reluInputs sound bounds of the input of every ReLU node, in node order, batch-first
   *     as the input set, or null to compute them
   * @param warm where the specification's slopes and multipliers start (batch-first as the
   *     input set), or null for CROWN's slopes and zero multipliers
   */
  public BranchBounds branchBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats, ReluSplits splits, List<Box> reluInputs, WarmStart warm) {
    Map<Integer, Box> given = new HashMap<>();
    if (reluInputs != null) {
      int r = 0;
      for (int i = 0; i < network.layers().size(); i++) {
        if (network.layers().get(i) instanceof Relu) {
          if (r >= reluInputs.size()) {
            throw new IllegalArgumentException("bounds given for " + reluInputs.size()
                + " ReLU nodes, the network has more");
          }
          given.put(network.inputs(i)[0], reluInputs.get(r++));
        }
      }
    }
    Pass pass = new Pass(network, Box.of(input), stats, rounding, splits, given);
    pass.recordFrom = network.layers().size() - 1;
    pass.warm = warm;
    pass.keepsOptimised = true;
    NDArray lower = specificationBounds(pass, spec);
    List<Box> bounded = new ArrayList<>();
    List<NDArray> weights = new ArrayList<>();
    NDArray infeasible = null;
    for (int i = 0; i < network.layers().size(); i++) {
      if (network.layers().get(i) instanceof Relu) {
        int source = network.inputs(i)[0];
        Box box = pass.optimisedBounds.containsKey(source)
            ? pass.optimisedBounds.get(source) : pass.preActivation(source, true);
        bounded.add(exported(box));
        weights.add(pass.upperLineWeights.get(i));
        NDArray crossed = box.lower().gt(box.upper()).reshape(box.lower().getShape().get(0), -1)
            .toType(DataType.INT32, false).max(new int[] {1}).toType(DataType.BOOLEAN, false);
        infeasible = infeasible == null ? crossed : infeasible.logicalOr(crossed);
      }
    }
    if (infeasible == null) {
      infeasible = pass.manager.zeros(new Shape(lower.getShape().get(0)), DataType.BOOLEAN);
    }
    return new BranchBounds(exported(lower), List.copyOf(bounded), infeasible,
        java.util.Collections.unmodifiableList(weights), pass.found);
  }

  /** The lower bounds of {@code spec} in {@code pass}, owned by the pass's manager. */
  private NDArray specificationBounds(Pass pass, Specification spec) {
    Network network = pass.network;
    BatchStatistics stats = pass.stats;
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
          // Copies: the caller keeps its arrays.
          rows = constraints.matrix().toType(pass.type, true);
          offset = pass.outward ? pass.soundOffset(constraints, rows)
              : constraints.offset().toType(pass.type, true);
          rows.attach(scope);
          offset.attach(scope);
        }
      }
      lower = slopes == null ? pass.backward(last, rows, offset, scope)
          : optimised(pass, network, stats, last, rows, offset, scope);
      if (labelMask != null) {
        lower = lower.mul(labelMask);
      }
      lower.attach(m);
    }
    return lower;
  }

  /**
   * alpha-CROWN's lower bounds of {@code rows} at node {@code start}, over groups of examples
   * small enough that each group's slopes and their gradients fit in {@link #ALPHA_BYTES}
   * (the examples' slopes are independent, so grouping changes no bound).
   */
  private NDArray optimised(Pass whole, Network network, BatchStatistics stats, int start,
      NDArray rows, NDArray offset, NDManager scope) {
    long n = whole.input.centre().getShape().get(0);
    long perExample = whole.slopeBytesPerExample(start, rows.getShape().get(1), scope);
    long group = Math.max(1, Math.min(n, ALPHA_BYTES / Math.max(1, perExample)));
    if (group == n) {
      return whole.optimisedBackward(start, rows, offset, scope, slopes);
    }
    List<NDArray> parts = new ArrayList<>();
    List<WarmStart> found = new ArrayList<>();
    for (long from = 0; from < n; from += group) {
      long to = Math.min(n, from + group);
      NDIndex examples = new NDIndex("{}:{}", from, to);
      try (NDManager part = scope.newSubManager()) {
        Box box = whole.original;
        NDArray centre = box.centre().get(examples);
        NDArray radius = box.radius().get(examples);
        centre.attach(part);
        radius.attach(part);
        // The group's pass derives all its arrays from these, so they stay in this scope.
        Pass pass = new Pass(network, new Box(centre, radius), stats, rounding,
            whole.splits.rows(examples), whole.givenRows(examples));
        pass.warm = whole.warm == null ? null : whole.warm.rows(examples);
        pass.keepsOptimised = whole.keepsOptimised;
        NDArray groupRows = rows.getShape().get(0) == 1 ? rows : rows.get(examples);
        NDArray groupOffset = offset == null ? null : offset.get(examples);
        NDArray lower = pass.optimisedBackward(start, groupRows, groupOffset, part, slopes);
        lower.attach(scope);
        parts.add(lower);
        if (pass.found != null) {
          pass.found.slopes().values().forEach(a -> a.attach(whole.manager));
          pass.found.betas().values().forEach(b -> b.attach(whole.manager));
          found.add(pass.found);
        }
      }
    }
    if (found.size() == parts.size()) {
      whole.found = concat(found);
    }
    return NDArrays.concat(new NDList(parts), 0);
  }

  /** The warm starts of consecutive groups of examples as one, batch-first. */
  private static WarmStart concat(List<WarmStart> groups) {
    Map<Integer, NDArray> slopes = new HashMap<>();
    Map<Integer, NDArray> betas = new HashMap<>();
    for (int relu : groups.getFirst().slopes().keySet()) {
      slopes.put(relu, NDArrays.concat(new NDList(groups.stream()
          .map(g -> g.slopes().get(relu)).toList()), 0));
    }
    for (int relu : groups.getFirst().betas().keySet()) {
      betas.put(relu, NDArrays.concat(new NDList(groups.stream()
          .map(g -> g.betas().get(relu)).toList()), 0));
    }
    return new WarmStart(slopes, betas);
  }

  /** One bound computation: the input box, the float64 parameters, the node bounds so far. */
  private final class Pass {
    private final Network network;
    private final BatchStatistics stats;
    private final NDManager manager;
    /**
     * OUTWARD mode: as {@link SoundArithmetic} says (float64 for networks with Sigmoid or Tanh
     * layers, whose lines are fitted in float64 and hold as stored); NEAREST: the input set's
     * type.
     */
    private final DataType type;
    /** The unit roundoff of {@link #type}, for the allowances of OUTWARD mode. */
    private final double unit;
    /** The smallest positive subnormal of {@link #type}: twice the most one underflow loses. */
    private final double tiny;
    /** The most units of any node, the input included. */
    private final long widest;
    /** The input set's box as given. */
    private final Box original;
    /** Whether this pass rounds outward (sound) or to nearest. */
    private final boolean outward;
    private final Box input;
    private final NodeBoxes intervals;
    /** Bounds of the ReLU input nodes, as they become known. */
    private final Map<Integer, Box> bounds = new HashMap<>();
    /** Relaxations of the ReLU nodes, as they become known. */
    private final Map<Integer, Relaxation> relaxations = new HashMap<>();
    /** The nodes in {@link #bounds} whose stable units kept their interval bounds. */
    private final java.util.Set<Integer> partial = new java.util.HashSet<>();
    /** Relaxations of the MaxPool nodes, as they become known. */
    private final Map<Integer, Pooling> pools = new HashMap<>();
    /** Lines below and above the Sigmoid and Tanh nodes, as they become known. */
    private final Map<Integer, Curve> curves = new HashMap<>();
    /** The case splits this pass bounds under. */
    private final ReluSplits splits;
    /**
     * Sound pre-activation bounds that alpha-CROWN's last evaluation computed with its optimised
     * slopes, by node (for {@link #branchBounds}); belong to the scope of that evaluation.
     */
    private final Map<Integer, Box> optimisedBounds = new HashMap<>();
    /** The sound bounds given for ReLU input nodes, kept instead of computed. */
    private final Map<Integer, Box> given;
    /** Where alpha-CROWN starts the specification's slopes and multipliers, or null. */
    private WarmStart warm;
    /** Whether alpha-CROWN keeps its best slopes and multipliers in {@link #found}. */
    private boolean keepsOptimised;
    /**
     * The specification's slopes and multipliers of alpha-CROWN's best bound per example (float32,
     * the pass's manager), once it ran with {@link #keepsOptimised}; else null.
     */
    private WarmStart found;
    /**
     * Per dense ReLU node, the coefficients {@code [N, S]} summed over the rows' negative parts,
     * {@code sum_s max(0, -a_s)}, of the last backward pass of the specification (those on which
     * the ReLU's upper line costs the bound); float32, for branching heuristics.
     */
    private final Map<Integer, NDArray> upperLineWeights = new HashMap<>();
    /** Whether backward passes from node {@link #recordFrom} record {@link #upperLineWeights}. */
    private int recordFrom = -2;
    /**
     * Per ReLU input node with splits, the masks {@code {at least 0, at most 0}} of its units,
     * boolean, batch-first.
     */
    private final Map<Integer, NDArray[]> clamps = new HashMap<>();

    Pass(Network network, InputSet set, BatchStatistics stats, ReluSplits splits) {
      this(network, Box.of(set), stats, rounding, splits, Map.of());
    }

    /**
     * A pass whose ReLU input nodes in {@code given} keep those sound bounds (split, not
     * recomputed).
     */
    Pass(Network network, Box box, BatchStatistics stats, IntervalDomain.Rounding rounding,
        ReluSplits splits, Map<Integer, Box> given) {
      this.network = network;
      this.stats = stats;
      this.original = box;
      this.outward = rounding == IntervalDomain.Rounding.OUTWARD;
      this.manager = box.centre().getManager();
      this.splits = splits;
      this.given = given;
      splits.signs().forEach((relu, sign) -> {
        if (!(relu >= 0 && relu < network.layers().size()
            && network.layers().get(relu) instanceof Relu)) {
          throw new IllegalArgumentException("splits given for node " + relu
              + ", which is not a ReLU");
        }
        NDArray zero = sign.getManager().create((byte) 0);
        NDArray active = sign.gt(zero);
        NDArray inactive = sign.lt(zero);
        zero.close();
        active.attach(manager);
        inactive.attach(manager);
        clamps.put(network.inputs(relu)[0], new NDArray[] {active, inactive});
      });
      this.type = outward ? soundType(network) : box.centre().getDataType();
      this.unit = type == DataType.FLOAT32 ? 0x1p-24 : IntervalDomain.UNIT_ROUNDOFF;
      this.tiny = type == DataType.FLOAT32 ? 0x1p-149 : IntervalDomain.UNDERFLOW;
      // The interval boxes are float64 in OUTWARD mode (IntervalDomain's sound arithmetic).
      DataType boxType = outward ? DataType.FLOAT64 : type;
      Box wide = new Box(box.centre().toType(boxType, false),
          box.radius().toType(boxType, false));
      NodeBoxes sound = new IntervalDomain(rounding).nodeBoxes(network, wide, stats);
      this.intervals = boxType == type ? sound : narrowed(sound);
      // OUTWARD: the input box widened for its own rounding, read as an exact real box.
      this.input = intervals.input();
      long most = input.centre().getShape().size() / input.centre().getShape().get(0);
      for (Box node : intervals.nodes()) {
        most = Math.max(most, node.centre().getShape().size() / node.centre().getShape().get(0));
      }
      this.widest = most;
      given.forEach((source, known) -> bounds.put(source, split(source, outward
          ? Precision.enclosing(known, type)
          : new Box(known.centre().toType(type, false), known.radius().toType(type, false)))));
      for (int i = 0; i < network.layers().size(); i++) {
        Layer layer = network.layers().get(i);
        switch (layer) {
          case Relu r -> {
            int source = network.inputs(i)[0];
            relaxations.put(i, Relaxation.relu(preActivation(source, true)));
          }
          case MaxPool p -> pools.put(i, pooling(p, poolInput(network.inputs(i)[0])));
          case Sigmoid s -> curves.put(i, curve(SShapedLines.Function.SIGMOID,
              preActivation(network.inputs(i)[0], false)));
          case Tanh t -> curves.put(i, curve(SShapedLines.Function.TANH,
              preActivation(network.inputs(i)[0], false)));
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

    /**
     * The offset of {@code constraints} for rows converted to this pass's type ({@code rows}),
     * rounded down, less what the conversion moved: {@code |A - fl(A)| M} of the output's sound
     * magnitude {@code M}, so that {@code fl(A) y + offset <= A y + d} for every output {@code y}
     * of the input set.
     */
    NDArray soundOffset(Specification.LinearConstraints constraints, NDArray rows) {
      NDArray matrix = constraints.matrix().toType(DataType.FLOAT64, false);
      NDArray moved = matrix.sub(rows.toType(DataType.FLOAT64, false)).abs();
      if (valueOf(moved.max()) == 0) {
        return Precision.down(constraints.offset(), type);
      }
      NDArray m = magnitude(network.layers().size() - 1).toType(DataType.FLOAT64, false);
      int classes = (int) m.getShape().get(1);
      // [B, S, K] . [N, 1, K] summed over K; float64 rounding of the sum covered by gamma.
      NDArray residual = moved.mul(m.expandDims(1)).sum(new int[] {2});
      residual = residual.mul(Constants.scalar(residual,
          1 + 2 * Precision.gammaUlps(classes + 2, IntervalDomain.UNIT_ROUNDOFF)
              * IntervalDomain.UNIT_ROUNDOFF));
      NDArray d = constraints.offset().toType(DataType.FLOAT64, false);
      NDArray lowered = d.sub(residual);
      // One float64 rounding of the difference, then rounded down to the pass's type.
      lowered = lowered.sub(lowered.abs().mul(Constants.scalar(lowered,
          2 * IntervalDomain.UNIT_ROUNDOFF))).sub(Constants.scalar(lowered, Double.MIN_VALUE));
      return Precision.down(lowered, type);
    }

    /**
     * A lower bound in this pass's type of the exact {@code min a . x} over the input box, from
     * its float64 value {@code a . c - |a| . r} ({@code value}), the magnitude
     * {@code |a| . (|c| + r)} and the products and sums ({@code terms}) that computed both:
     * lowered by {@code 2 gamma_terms} of the magnitude (float64), by one float64 rounding of
     * the difference and one subnormal unit per term, then rounded down.
     */
    private NDArray minimumBelow(NDArray value, NDArray magnitude, int terms) {
      double gamma = Precision.gammaUlps(terms, IntervalDomain.UNIT_ROUNDOFF)
          * IntervalDomain.UNIT_ROUNDOFF;
      NDArray lowered = value.sub(magnitude.mul(Constants.scalar(magnitude, 2 * gamma)));
      lowered = lowered.sub(lowered.abs().mul(Constants.scalar(lowered,
          2 * IntervalDomain.UNIT_ROUNDOFF))).sub(Constants.scalar(lowered,
          2.0 * terms * IntervalDomain.UNDERFLOW));
      return Precision.down(lowered, type);
    }

    /** The boxes of {@code sound} (float64, OUTWARD), each enclosed by a box of {@link #type}. */
    private NodeBoxes narrowed(NodeBoxes sound) {
      List<Box> nodes = new ArrayList<>();
      for (Box node : sound.nodes()) {
        nodes.add(Precision.enclosing(node, type));
      }
      return new NodeBoxes(Precision.enclosing(sound.input(), type), nodes);
    }

    /** Higham's {@code gamma_n} in units of {@link #unit}: {@code n / (1 - n u)}. */
    private double gammaUlps(int n) {
      return Precision.gammaUlps(n, unit);
    }

    /**
     * Sound bounds of a MaxPool's input {@code node}: a ReLU's exact image of its input's
     * bounds, else the interval box.
     */
    private Box poolInput(int node) {
      if (node != Network.INPUT && network.layers().get(node) instanceof Relu) {
        Box h = preActivation(network.inputs(node)[0], true);
        NDArray zero = Constants.scalar(h.centre(), 0);
        return Box.fromBounds(h.lower().maximum(zero), h.upper().maximum(zero));
      }
      return intervals.of(node);
    }

    /**
     * The relaxation of max pooling {@code p} over input bounds {@code box}: per window the input
     * with the largest lower bound (the output is at least it), whether that input's lower
     * bound reaches every other input's upper bound (the output is then exactly it), and the
     * largest upper bound (else the output is at most it).
     */
    private Pooling pooling(MaxPool p, Box box) {
      NDArray lowTaps = poolTaps(box.lower(), p);
      NDArray upTaps = poolTaps(box.upper(), p);
      int taps = p.kernel() * p.kernel();
      NDArray selection = lowTaps.argMax(4).oneHot(taps).toType(type, false);
      NDArray chosenLower = lowTaps.max(new int[] {4});
      NDArray others = NDArrays.where(selection.toType(DataType.BOOLEAN, false),
          minusInfinityLike(upTaps), upTaps).max(new int[] {4});
      NDArray dominated = chosenLower.gte(others).toType(type, false);
      return new Pooling(selection, dominated, upTaps.max(new int[] {4}));
    }

    /** The sound lines of {@code f} over {@code box}, as arrays of this pass's type. */
    private Curve curve(SShapedLines.Function f, Box box) {
      NDArray c = box.centre();
      SShapedLines lines = SShapedLines.of(f, c.toType(DataType.FLOAT64, false).toDoubleArray(),
          box.radius().toType(DataType.FLOAT64, false).toDoubleArray());
      Shape shape = c.getShape();
      NDManager m = c.getManager();
      return new Curve(m.create(lines.lowerSlope, shape).toType(type, false),
          m.create(lines.lowerIntercept, shape).toType(type, false),
          m.create(lines.upperSlope, shape).toType(type, false),
          m.create(lines.upperIntercept, shape).toType(type, false));
    }

    /**
     * Bounds of node {@code source}, computed once; interval bounds when they are exact. With
     * {@code unstableOnly} (a ReLU's input) only the units unstable on the interval bounds need
     * linear bounds.
     */
    private Box preActivation(int source, boolean unstableOnly) {
      Box known = bounds.get(source);
      if (known != null && !(partial.contains(source) && !unstableOnly)) {
        return known;
      }
      Box interval = intervals.of(source);
      Box box = intermediate == Intermediate.INTERVAL || intervalIsExact(source)
          ? interval : nodeBounds(source, unstableOnly);
      if (outward && box != interval) {
        box = Box.fromBounds(box.lower().maximum(interval.lower()),
            box.upper().minimum(interval.upper()));
      }
      box = split(source, box);
      bounds.put(source, box);
      if (unstableOnly) {
        partial.add(source);
      } else {
        partial.remove(source);
      }
      return box;
    }

    /** The split signs {@code +1, -1, 0} of node {@code source}'s units, this pass's type. */
    private NDArray splitSigns(int source) {
      NDArray[] masks = clamps.get(source);
      return masks[0].toType(type, false).sub(masks[1].toType(type, false));
    }

    /**
     * Zero multipliers {@code [N, rows, ...units]} of the split constraints for the rows of
     * {@code start}, for every dense ReLU input below it with splits, requiring gradients.
     */
    private Map<Integer, NDArray> betasFor(int start, long rows, NDManager scope) {
      long n = input.centre().getShape().get(0);
      Map<Integer, NDArray> betas = new HashMap<>();
      for (int relu : relaxations.keySet()) {
        int source = network.inputs(relu)[0];
        if (relu < start && clamps.containsKey(source)) {
          NDArray zero = scope.zeros(new Shape(n, rows).addAll(shapeOf(source)), type);
          zero.setRequiresGradient(true);
          betas.put(relu, zero);
        }
      }
      return betas;
    }

    /** The given bounds of examples {@code examples}. */
    private Map<Integer, Box> givenRows(NDIndex examples) {
      Map<Integer, Box> out = new HashMap<>();
      given.forEach((node, box) -> out.put(node, new Box(box.centre().get(examples),
          box.radius().get(examples))));
      return out;
    }

    /**
     * Bounds {@code box} of node {@code source} under the splits of the ReLUs reading it: lower
     * bounds raised to 0 where a unit is split at least 0, upper bounds cut to 0 where it is split
     * at most 0 (exact in any rounding).
     */
    private Box split(int source, Box box) {
      NDArray[] masks = clamps.get(source);
      if (masks == null) {
        return box;
      }
      NDArray lower = box.lower();
      NDArray upper = box.upper();
      NDArray zero = Constants.scalar(lower, 0);
      return Box.fromBounds(NDArrays.where(masks[0], lower.maximum(zero), lower),
          NDArrays.where(masks[1], upper.minimum(zero), upper));
    }

    /**
     * Whether layer {@code i}'s input is the network's input, directly or through Flatten layers,
     * and nothing else reads it on the way: rows pushed back from {@code i} then reach the input
     * alone.
     */
    private boolean feedsInputAlone(int i) {
      int node = network.inputs(i)[0];
      while (readers(node) == 1 && node != Network.INPUT
          && network.layers().get(node) instanceof Flatten) {
        node = network.inputs(node)[0];
      }
      return node == Network.INPUT && readers(node) == 1;
    }

    /** How many layer inputs are {@code node}. */
    private int readers(int node) {
      int count = 0;
      for (int j = 0; j < network.layers().size(); j++) {
        for (int source : network.inputs(j)) {
          count += source == node ? 1 : 0;
        }
      }
      return count;
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

    /**
     * Lower and upper bounds of the units of {@code node}, by backward passes in chunks. With
     * {@code unstableOnly} (a ReLU's input), only the units whose interval bounds straddle zero
     * in some example go back; the others keep their interval bounds, on which the ReLU is
     * already exact. Image-shaped nodes go back as patches, every unit.
     */
    Box nodeBounds(int node, boolean unstableOnly) {
      if (patchable(node)) {
        return patchBounds(node);
      }
      Box interval = intervals.of(node);
      Shape shape = interval.centre().getShape();
      long n = shape.get(0);
      Shape unit = shape.slice(1);
      int units = (int) unit.size();
      NDArray anywhere = null;
      int count = units;
      if (unstableOnly) {
        NDArray zero = Constants.scalar(interval.centre(), 0);
        anywhere = interval.lower().lt(zero).logicalAnd(interval.upper().gt(zero))
            .reshape(n, -1).toType(type, false).max(new int[] {0});
        count = (int) valueOf(anywhere.sum());
        if (count == 0) {
          return interval;
        }
      }
      NDArray picked = count == units ? null : anywhere.nonzero().squeeze(1);
      int chunk = (int) Math.max(1, Math.min(count,
          CHUNK_BYTES / (Double.BYTES * 2L * n * widest)));
      NDArray[] bounds = inChunks(count, chunk, (start, size, scope) -> {
        // The rows e_j of the chunk's units, taken from an identity (one op, unlike a one-hot).
        NDArray identity = scope.eye(units, units, 0, type);
        NDArray eye;
        if (picked == null) {
          eye = identity.get(new NDIndex("{}:{}", start, start + size));
        } else {
          NDArray which = picked.get(new NDIndex("{}:{}", start, start + size));
          which.attach(scope);
          eye = identity.get(new NDIndex("{}", which));
        }
        NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0)
            .reshape(new Shape(1, 2L * size).addAll(unit));
        return backward(node, rows, null, scope);
      });
      if (picked == null) {
        return Box.fromBounds(bounds[0].reshape(shape), bounds[1].reshape(shape));
      }
      // Scatter the bounded units into the interval bounds (a product with 0/1 is exact).
      NDArray selection = picked.oneHot(units).toType(type, false);
      NDArray mask = anywhere.gt(Constants.scalar(anywhere, 0))
          .reshape(new Shape(1).addAll(unit)).broadcast(shape);
      return Box.fromBounds(
          NDArrays.where(mask, bounds[0].matMul(selection).reshape(shape), interval.lower()),
          NDArrays.where(mask, bounds[1].matMul(selection).reshape(shape), interval.upper()));
    }

    /** The lower bounds of the rows {@code +e} then {@code -e} of units {@code [start, +size)}. */
    @FunctionalInterface
    private interface ChunkBounds {
      NDArray lower(int start, int size, NDManager scope);
    }

    /**
     * Lower and upper bounds {@code [N, total, ...]} from chunks of {@code chunk} of
     * {@code total} units (or channels), each computed in its own scope: lower bounds are the
     * first half of a chunk's rows, upper bounds the negated second half.
     */
    private NDArray[] inChunks(int total, int chunk, ChunkBounds bounds) {
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
      return new NDArray[] {NDArrays.concat(new NDList(lowers), 1),
          NDArrays.concat(new NDList(uppers), 1)};
    }

    /**
     * Whether {@code node} has image-shaped values and reaches the input through a chain of
     * convolutions and elementwise layers only: its rows then go back as patches.
     */
    private boolean patchable(int node) {
      return LinearBoundDomain.patchable(network, node, intervals.of(node).centre().getShape());
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
      int channels = (int) shape.get(1);
      int height = (int) shape.get(2);
      int width = (int) shape.get(3);
      int chunk = patchChunk(network, node, shape);
      NDArray[] bounds = inChunks(channels, chunk, (start, size, scope) -> {
        NDArray eye = scope.arange(start, start + size, 1, DataType.INT64).oneHot(channels)
            .toType(type, false);
        // [1, 2 size, H, W, C, 1, 1]: +e_c and -e_c at every position.
        NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0)
            .reshape(1, 2L * size, 1, 1, channels, 1, 1)
            .repeat(2, height).repeat(3, width);
        return patchBackward(node, new Patches(rows, 1, 0), scope);
      });
      return Box.fromBounds(bounds[0].reshape(shape), bounds[1].reshape(shape));
    }

    /**
     * Lower bounds of the patch rows of node {@code start} over the input box.
     *
     * @return {@code [N, R, H, W]} for the rows' {@code R} patches at every position
     */
    private NDArray patchBackward(int start, Patches rows, NDManager scope) {
      return patchBackward(start, rows, scope, relaxations, Map.of(), outward);
    }

    /**
     * As {@link #patchBackward(int, Patches, NDManager)}, with the ReLUs' relaxations given, the
     * lower slopes of some given per row and window ({@code [N, R, H, W, C, K, K]}, as
     * {@link #patchSlopeShapes} says), and the rounding allowance on or off.
     */
    private NDArray patchBackward(int start, Patches rows, NDManager scope,
        Map<Integer, Relaxation> relaxed, Map<Integer, NDArray> lowerSlopes, boolean sound) {
      Patches p = rows;
      Terms terms = new Terms(sound, 4, scope, rows.values(), unit, tiny);
      int steps = 0;
      for (int i = start; i != Network.INPUT; i = network.inputs(i)[0]) {
        // Each step's temporaries are freed with the step; the next patches are kept.
        try (NDManager step = scope.newSubManager()) {
          int below = network.inputs(i)[0];
          Shape inputShape = shapeOf(below);
          NDArray a = p.values();
          if (a != rows.values()) {
            a.attach(step);
          }
          // Each constant below sums over a window: its rounding grows with the window's size.
          int window = (int) a.getShape().slice(4).size();
          steps++;
          switch (network.layers().get(i)) {
            case Conv2d cv -> {
              NDArray b = LayerOps.cast(cv.bias(), a, step);
              terms.constant(patchSum(a).matMul(b.reshape(-1, 1)).squeeze(-1));
              if (terms.outward) {
                // gamma of the products on the reach; the constant sums over the window, but only
                // |a| |b| rounds with that many terms. One weighted magnitude, in units of u.
                NDArray weights = unfold(convolutionReach(cv, below, a, step), p)
                    .mul(Constants.scalar(a, gammaUlps(convolutionTerms(cv))))
                    .add(channelsOfPatch(b.abs())
                        .mul(Constants.scalar(a, gammaUlps(window + 2))));
                terms.error(windowDot(a.abs(), weights), 1);
                terms.underflow(magnitude(below), convolutionProducts(cv));
              }
              Shape ps = a.getShape();
              long patches = ps.size() / ps.slice(4).size();
              NDArray flat = a.reshape(patches, ps.get(4), ps.get(5), ps.get(6));
              NDArray back = LayerOps.conv2dTranspose(flat, cv.weight(), cv.stride(), 0, 0, 0);
              Shape bs = back.getShape();
              Patches next = new Patches(back.reshape(ps.slice(0, 4).addAll(bs.slice(1))),
                  p.stride() * cv.stride(), p.padding() * cv.stride() + cv.padding());
              p = next.masked(inputShape, step);
            }
            case BatchNorm bn -> {
              NDArray like = intervals.of(below).centre();
              BatchNorm.Affine affine = bn.affine(stats.recordedOrRunning(i, bn), like);
              NDArray scale = channelsOfPatch(affine.scale());
              terms.constant(patchSum(a).matMul(affine.shift().reshape(-1, 1)).squeeze(-1));
              if (terms.outward) {
                NDArray reach = batchNormReach(i, bn, below, affine, step);
                terms.error(windowDot(a.abs(), unfold(reach, p)),
                    IntervalDomain.BATCH_NORM_ULPS + 2 + gammaUlps(window));
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
                    IntervalDomain.NORMALIZE_ULPS + 2 + gammaUlps(window));
                terms.underflow(reach, IntervalDomain.ELEMENTWISE_OPERATIONS);
              }
              p = new Patches(scaled, p.stride(), p.padding());
            }
            case Relu r -> {
              Relaxation relax = relaxed.get(i);
              NDArray positive = Activation.relu(a);
              NDArray negative = a.sub(positive);
              NDArray intercept = unfold(relax.upperIntercept(), p);
              terms.constant(windowDot(negative, intercept));
              if (terms.outward) {
                // gamma_4 on M + |t|; the constant sums over the window, but only |a| |t| rounds
                // with that many terms. One weighted magnitude, in units of u.
                double lines = gammaUlps(RELU_TERMS);
                NDArray weights = unfold(magnitude(below), p).mul(Constants.scalar(a, lines))
                    .add(intercept.abs().mul(Constants.scalar(a, lines + gammaUlps(window + 1))));
                terms.error(windowDot(a.abs(), weights), 1);
                terms.underflow(magnitude(below), 2);
              }
              NDArray lowerSlope = unfold(relax.lowerSlope(), p);
              NDArray alpha = lowerSlopes.get(i);
              if (alpha != null) {
                Shape full = alpha.getShape();
                lowerSlope = NDArrays.where(unfold(relax.unstable(), p).toType(DataType.BOOLEAN,
                    false).broadcast(full), alpha, lowerSlope.broadcast(full));
              }
              p = new Patches(positive.mul(lowerSlope)
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
          terms.keep(p.values());
        }
      }
      NDArray a = p.values();
      NDArray centre = unfold(input.centre(), p);
      NDArray radius = unfold(input.radius(), p);
      terms.constant(windowDot(a, centre).sub(windowDot(a.abs(), radius)));
      if (terms.outward) {
        long window = a.getShape().slice(4).size();
        terms.error(windowDot(a.abs(), centre.abs().add(radius)),
            gammaUlps(2 * (int) window + 2));
        terms.underflow(input.centre().abs().add(input.radius()), 2);
      }
      Shape rs = a.getShape();
      long n = input.centre().getShape().get(0);
      NDArray result = terms.lower(steps + 1, widest);
      return result.broadcast(new Shape(n, rs.get(1), rs.get(2), rs.get(3)));
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
      return backward(start, rows, offset, scope, relaxations, Map.of(), outward);
    }

    /**
     * As {@link #backward(int, NDArray, NDArray, NDManager)}, with the ReLUs' relaxations given
     * ({@code relaxed}), the lower slopes of their unstable units given per row for some of them
     * ({@code [N, S, ...units]}, values in [0, 1]), and the rounding allowance on or off.
     */
    NDArray backward(int start, NDArray rows, NDArray offset, NDManager scope,
        Map<Integer, Relaxation> relaxed, Map<Integer, NDArray> lowerSlopes, boolean sound) {
      return backward(start, rows, offset, scope, relaxed, lowerSlopes, sound, Map.of());
    }

    /**
     * As {@link #backward(int, NDArray, NDArray, NDManager, Map, Map, boolean)}, with
     * beta-CROWN's multipliers of the split constraints (Wang et al., "Beta-CROWN", NeurIPS
     * 2021): for ReLU node {@code r} in {@code betas} ({@code [N, S, ...units]}, at least 0),
     * the row's coefficient of the ReLU's input {@code z} gets {@code -beta s} added, {@code s}
     * the unit's split sign. On the points that satisfy the splits {@code s z >= 0}, so the
     * added term {@code -beta s z} is at most 0 and the bound stays a lower bound of the rows.
     */
    NDArray backward(int start, NDArray rows, NDArray offset, NDManager scope,
        Map<Integer, Relaxation> relaxed, Map<Integer, NDArray> lowerSlopes, boolean sound,
        Map<Integer, NDArray> betas) {
      Map<Integer, NDArray> pending = new HashMap<>();
      pending.put(start, rows);
      Terms terms = new Terms(sound, 2, scope, rows, unit, tiny);
      terms.constant(offset);
      // Whether a Linear step already added the centre term of the input's concretisation.
      boolean centred = false;
      for (int i = start; i >= 0; i--) {
        NDArray a = pending.remove(i);
        if (a == null) {
          continue;
        }
        // Each step's temporaries (a row-sized array per operation) are freed with the step.
        try (NDManager step = scope.newSubManager()) {
          // An Add pushes one array to both inputs: it stays while the other still needs it.
          if (a != rows && pending.values().stream().noneMatch(other -> other == a)) {
            a.attach(step);
          }
          Layer layer = network.layers().get(i);
          int[] in = network.inputs(i);
          Shape inputShape = shapeOf(in[0]);
          // Constants sum over a node's units: their rounding grows with the count.
          int units = (int) inputShape.size();
          switch (layer) {
            case Linear l -> {
              NDArray w = LayerOps.cast(l.weight(), a, step);
              NDArray b = LayerOps.cast(l.bias(), a, step);
              terms.constant(a.matMul(b.reshape(-1, 1)).squeeze(2));
              if (!terms.outward && feedsInputAlone(i)) {
                // The centre term (a W) . c of the input's concretisation, as a . (W c): a
                // product on the layer's outputs instead of one on the (wider) input.
                terms.constant(rowsDot(a, input.centre().reshape(input.centre().getShape()
                    .get(0), -1).matMul(w.transpose())));
                centred = true;
              }
              if (terms.outward) {
                // |W| M + |b| in float64, at least the exact value; the products a W and the
                // constant a . b each sum over the outputs.
                NDArray m = magnitude(in[0]).toType(DataType.FLOAT64, false);
                NDArray reach = upperBound(LayerOps.linear(m, LayerOps.abs(l.weight(), step, m),
                    LayerOps.abs(l.bias(), step, m)), l.inFeatures() + 1);
                terms.error(rowsTimes(a.abs(), reach), gammaUlps(2 * l.outFeatures() + 2));
                terms.underflow(magnitude(in[0]), l.outFeatures());
              }
              push(pending, in[0], a.matMul(w), terms);
            }
            case Conv2d cv -> {
              long batch = a.getShape().get(0);
              long s = a.getShape().get(1);
              Shape out = a.getShape().slice(2);
              NDArray flat = a.reshape(new Shape(batch * s).addAll(out));
              NDArray b = LayerOps.cast(cv.bias(), a, step);
              terms.constant(a.reshape(batch, s, out.get(0), -1).sum(new int[] {3})
                  .matMul(b.reshape(-1, 1)).squeeze(2));
              if (terms.outward) {
                NDArray absA = a.abs();
                terms.error(rowsTimes(absA, convolutionReach(cv, in[0], a, step)),
                    gammaUlps(convolutionTerms(cv)));
                terms.error(absA.reshape(batch, s, out.get(0), -1).sum(new int[] {3})
                    .matMul(b.abs().reshape(-1, 1)).squeeze(2), gammaUlps((int) out.size() + 2));
                terms.underflow(magnitude(in[0]), convolutionProducts(cv));
              }
              int padH = outputPadding(inputShape, out, cv.kernelSize(), cv.stride(),
                  cv.padding(), 1);
              int padW = outputPadding(inputShape, out, cv.kernelSize(), cv.stride(),
                  cv.padding(), 2);
              NDArray back = LayerOps.conv2dTranspose(flat, cv.weight(), cv.stride(),
                  cv.padding(), padH, padW);
              push(pending, in[0], back.reshape(new Shape(batch, s).addAll(inputShape)), terms);
            }
            case Relu r -> {
              Relaxation relax = relaxed.get(i);
              NDArray positive = Activation.relu(a);
              NDArray lowerSlope = relax.lowerSlope().expandDims(1);
              NDArray alpha = lowerSlopes.get(i);
              if (alpha != null) {
                Shape full = alpha.getShape();
                lowerSlope = NDArrays.where(relax.unstable().expandDims(1).toType(DataType.BOOLEAN,
                    false).broadcast(full), alpha, lowerSlope.broadcast(full));
              }
              NDArray upperSlope = relax.upperSlope().expandDims(1);
              if (!terms.outward && betas.get(i) == null && start != recordFrom) {
                // To nearest, without forming a- = a - a+: the constant a- . t as a . t - a+ . t
                // (two products) and the rows a+ s + a- s' as a s' + a+ (s - s').
                NDArray t = relax.upperIntercept();
                terms.constant(rowsDot(a, t).sub(rowsDot(positive, t)));
                push(pending, in[0], a.mul(upperSlope).add(positive.mul(lowerSlope
                    .sub(upperSlope))), terms);
                break;
              }
              NDArray negative = a.sub(positive);
              NDArray intercept = relax.upperIntercept().expandDims(1);
              terms.constant(sumUnits(negative.mul(intercept)));
              if (terms.outward) {
                NDArray absA = a.abs();
                NDArray absT = intercept.abs();
                terms.error(sumUnits(absA.mul(magnitude(in[0]).expandDims(1).add(absT))),
                    gammaUlps(RELU_TERMS));
                // The constant sums over the units: only |a| |t| rounds with that many terms.
                terms.error(sumUnits(absA.mul(absT)), gammaUlps(units + 1));
                terms.underflow(magnitude(in[0]), 2);
              }
              if (start == recordFrom) {
                NDArray weight = negative.neg().sum(new int[] {1}).stopGradient()
                    .toType(DataType.FLOAT32, true);
                weight.attach(manager);
                NDArray old = upperLineWeights.put(i, weight);
                if (old != null) {
                  old.close();
                }
              }
              NDArray next = positive.mul(lowerSlope).add(negative.mul(upperSlope));
              NDArray beta = betas.get(i);
              if (beta != null) {
                next = next.sub(beta.mul(splitSigns(in[0]).expandDims(1)));
                if (terms.outward) {
                  // The subtraction rounds once per coefficient.
                  terms.error(sumUnits(next.abs().mul(magnitude(in[0]).expandDims(1))),
                      gammaUlps(1));
                }
              }
              push(pending, in[0], next, terms);
            }
            case BatchNorm b -> {
              NDArray like = intervals.of(in[0]).centre();
              BatchNorm.Affine affine = b.affine(stats.recordedOrRunning(i, b), like);
              NDArray scale = affine.scale().expandDims(1);
              terms.constant(sumUnits(a.mul(affine.shift().expandDims(1))));
              if (terms.outward) {
                NDArray reach = batchNormReach(i, b, in[0], affine, step);
                terms.error(sumUnits(a.abs().mul(reach.expandDims(1))),
                    IntervalDomain.BATCH_NORM_ULPS + 2 + gammaUlps(units));
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
                    IntervalDomain.NORMALIZE_ULPS + 2 + gammaUlps(units));
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
                    gammaUlps(2 * p.kernel() * p.kernel() + 2));
                terms.underflow(magnitude(in[0]), (long) p.kernel() * p.kernel());
              }
              push(pending, in[0], avgPoolAdjoint(a, p, inputShape), terms);
            }
            case MaxPool p -> {
              Pooling pool = pools.get(i);
              NDArray positive = Activation.relu(a);
              NDArray negative = a.sub(positive);
              NDArray dominated = pool.dominated().expandDims(1);
              NDArray open = Constants.scalar(dominated, 1).sub(dominated);
              terms.constant(sumUnits(negative.mul(open).mul(pool.maxUpper().expandDims(1))));
              if (terms.outward) {
                NDArray reach = LayerOps.maxPool(magnitude(in[0]), p);
                terms.error(sumUnits(a.abs().mul(reach.expandDims(1))),
                    gammaUlps(p.kernel() * p.kernel() + units + 4));
                terms.underflow(reach, (long) p.kernel() * p.kernel());
              }
              push(pending, in[0], poolAdjoint(positive.add(negative.mul(dominated)),
                  pool.selection(), p, inputShape), terms);
            }
            case Sigmoid s -> curveStep(curves.get(i), a, in[0], units, pending, terms);
            case Tanh t -> curveStep(curves.get(i), a, in[0], units, pending, terms);
          }
        }
      }
      NDArray a = pending.remove(Network.INPUT);
      NDArray c = input.centre();
      long n = c.getShape().get(0);
      if (a != null) {
        // min over the exact box [c - r, c + r] of a . x is a . c - |a| . r.
        NDArray flat = a.reshape(a.getShape().get(0), a.getShape().get(1), -1);
        NDArray r = input.radius();
        if (terms.outward) {
          // In float64 whatever the pass's type, as a sound lower bound of the minimum.
          flat = flat.toType(DataType.FLOAT64, false);
          c = c.toType(DataType.FLOAT64, false);
          r = r.toType(DataType.FLOAT64, false);
        }
        NDArray absFlat = flat.abs();
        NDArray spread = absFlat.matMul(r.reshape(n, -1, 1)).squeeze(2);
        if (centred) {
          // To nearest only: the Linear step that feeds the input added a . c already.
          terms.constant(spread.neg());
        } else {
          NDArray centre = flat.matMul(c.reshape(n, -1, 1)).squeeze(2);
          if (terms.outward) {
            NDArray reach = c.abs().add(r).reshape(n, -1, 1);
            terms.constant(minimumBelow(centre.sub(spread), absFlat.matMul(reach).squeeze(2),
                2 * (int) flat.getShape().get(2) + 2));
          } else {
            terms.constant(centre.sub(spread));
          }
        }
      }
      NDArray result = terms.lower(network.layers().size(), widest);
      if (result == null) {
        throw new IllegalStateException("node " + start + " does not depend on the input");
      }
      if (result.getShape().get(0) != n) {
        result = result.broadcast(new Shape(n, result.getShape().get(1)));
      }
      return result;
    }

    /**
     * Lower bounds of the rows with optimised lower slopes (alpha-CROWN). Every ReLU below
     * {@code start} gets a slope per unit and per row of each bound that goes through it: the
     * specification's rows, and the rows {@code +e}, {@code -e} of the unstable units of every
     * pre-activation node that backward passes bound (its "intermediate" slopes). An iteration
     * recomputes those pre-activation bounds with their slopes (never looser than CROWN's, which
     * stay as a floor), refits the ReLU relaxations to them, bounds the rows, and takes one Adam
     * step on all slopes for the sum of the rows' bounds. To-nearest passes keep each row's best
     * bound of any iteration; outward passes run the iterations in a float32 to-nearest pass and
     * bound the rows once, soundly, with each example's best slopes. Never below CROWN's bound.
     */
    NDArray optimisedBackward(int start, NDArray rows, NDArray offset, NDManager scope,
        SlopeOptimisation settings) {
      NDArray crown = backward(start, rows, offset, scope);
      List<Target> targets = settings.intermediate() ? targets(start, scope) : List.of();
      if (!outward) {
        Optimised found = optimise(start, rows, offset, targets, crown, scope, settings);
        this.found = keepsOptimised ? keep(found, start) : null;
        return found.lower();
      }
      Map<Integer, Map<Integer, NDArray>> best;
      Map<Integer, NDArray> bestBetas = new HashMap<>();
      try (NDManager fastScope = scope.newSubManager()) {
        DataType fast = DataType.FLOAT32;
        NDArray centre = original.centre().toType(fast, true);
        NDArray radius = original.radius().toType(fast, true);
        centre.attach(fastScope);
        radius.attach(fastScope);
        Pass guess = new Pass(network, new Box(centre, radius), stats,
            IntervalDomain.Rounding.NEAREST, splits, given);
        guess.warm = warm;
        List<Target> fastTargets = new ArrayList<>();
        for (Target t : targets) {
          fastTargets.add(t.in(fast, fastScope));
        }
        NDArray fastRows = rows.toType(fast, true);
        fastRows.attach(fastScope);
        NDArray fastOffset = offset == null ? null : offset.toType(fast, true);
        if (fastOffset != null) {
          fastOffset.attach(fastScope);
        }
        Optimised found = guess.optimise(start, fastRows, fastOffset, fastTargets, null,
            fastScope, settings);
        this.found = keepsOptimised ? keep(found, start) : null;
        best = new HashMap<>();
        for (Map.Entry<Integer, Map<Integer, NDArray>> e : found.slopes().entrySet()) {
          Map<Integer, NDArray> converted = new HashMap<>();
          e.getValue().forEach((relu, a) -> {
            NDArray wide = a.toType(type, true);
            wide.attach(scope);
            converted.put(relu, wide);
          });
          best.put(e.getKey(), converted);
        }
        found.betas().forEach((relu, b) -> {
          // Multipliers must be at least 0 as used: clip after the conversion.
          NDArray converted = b.toType(type, true);
          NDArray wide = converted.maximum(Constants.scalar(converted, 0));
          wide.attach(scope);
          bestBetas.put(relu, wide);
        });
      }
      Map<Integer, Relaxation> relaxed = new HashMap<>(relaxations);
      for (Target t : targets) {
        Box box = tighten(t, relaxed, best.getOrDefault(t.node(), Map.of()), scope, true);
        NDArray c = box.centre().duplicate();
        NDArray r = box.radius().duplicate();
        c.attach(manager);
        r.attach(manager);
        optimisedBounds.put(t.node(), new Box(c, r));
      }
      NDArray lower = backward(start, rows, offset, scope, relaxed,
          best.getOrDefault(start, Map.of()), true, bestBetas);
      return NDArrays.where(lower.gt(crown), lower, crown);
    }

    /** The start node's slopes and the multipliers of {@code o}, float32 copies in the pass. */
    private WarmStart keep(Optimised o, int start) {
      Map<Integer, NDArray> slopes = new HashMap<>();
      Map<Integer, NDArray> betas = new HashMap<>();
      o.slopes().getOrDefault(start, Map.of()).forEach((relu, a) -> {
        NDArray copy = a.toType(DataType.FLOAT32, true);
        copy.attach(manager);
        slopes.put(relu, copy);
      });
      o.betas().forEach((relu, b) -> {
        NDArray copy = b.toType(DataType.FLOAT32, true);
        copy.attach(manager);
        betas.put(relu, copy);
      });
      return new WarmStart(slopes, betas);
    }

    /**
     * Sets leaf {@code variable} to {@code start} (any type, reshaped to it), clipped into
     * {@code [low, high]}.
     */
    private static void startFrom(NDArray variable, NDArray start, float low, float high) {
      try (NDManager scope = variable.getManager().newSubManager()) {
        NDArray converted = start.toType(variable.getDataType(), true);
        converted.attach(scope);
        // Derived from converted, so in scope too.
        variable.set(new NDIndex("..."), converted.reshape(variable.getShape()).clip(low, high));
      }
    }

    /**
     * The outcome of the iterations: per bound (a target node or the start node) and ReLU, each
     * example's slopes from its best iteration; and each row's best bound of any iteration.
     */
    private record Optimised(Map<Integer, Map<Integer, NDArray>> slopes,
        Map<Integer, NDArray> betas, NDArray lower) { }

    /**
     * The Adam iterations of {@link #optimisedBackward} in this pass's rounding, from CROWN's
     * slopes; {@code floor} (or CROWN's bound when null) starts each row's best bound.
     */
    private Optimised optimise(int start, NDArray rows, NDArray offset, List<Target> targets,
        NDArray floor, NDManager scope, SlopeOptimisation settings) {
      NDArray bestLower = floor != null ? floor : backward(start, rows, offset, scope);
      Map<Integer, Map<Integer, NDArray>> alphas = new HashMap<>();
      for (Target t : targets) {
        alphas.put(t.node(), t.patches() ? patchSlopesFor(t.node(), scope)
            : slopesFor(t.node(), t.rows().getShape().get(1), scope));
      }
      alphas.put(start, slopesFor(start, rows.getShape().get(1), scope));
      Map<Integer, NDArray> betas = betasFor(start, rows.getShape().get(1), scope);
      if (warm != null) {
        alphas.get(start).forEach((relu, a) -> {
          if (warm.slopes().containsKey(relu)) {
            startFrom(a, warm.slopes().get(relu), 0, 1);
          }
        });
        betas.forEach((relu, b) -> {
          if (warm.betas().containsKey(relu)) {
            startFrom(b, warm.betas().get(relu), 0, Float.MAX_VALUE);
          }
        });
      }
      java.util.Set<NDArray> multipliers = java.util.Collections.newSetFromMap(
          new java.util.IdentityHashMap<>());
      multipliers.addAll(betas.values());
      Map<NDArray, NDArray[]> moments = new java.util.IdentityHashMap<>();
      Map<Integer, Map<Integer, NDArray>> best = new HashMap<>();
      for (Map.Entry<Integer, Map<Integer, NDArray>> e : alphas.entrySet()) {
        Map<Integer, NDArray> kept = new HashMap<>();
        e.getValue().forEach((relu, a) -> {
          moments.put(a, new NDArray[] {a.zerosLike(), a.zerosLike()});
          kept.put(relu, a.duplicate());
        });
        best.put(e.getKey(), kept);
      }
      Map<Integer, NDArray> keptBetas = new HashMap<>();
      betas.forEach((relu, b) -> {
        moments.put(b, new NDArray[] {b.zerosLike(), b.zerosLike()});
        keptBetas.put(relu, b.duplicate());
      });
      if (moments.isEmpty()) {
        return new Optimised(best, keptBetas, bestLower);
      }
      List<NDArray> lentEachStep = new ArrayList<>(iterationArrays(alphas, targets, offset));
      lentEachStep.addAll(betas.values());
      NDArray bestTotals = null;
      double bestTotal = Double.NEGATIVE_INFINITY;
      int sinceBest = 0;
      for (int t = 1; t <= settings.iterations() && sinceBest < settings.patience(); t++) {
        try (NDManager step = scope.newSubManager()) {
            borrow(step, lentEachStep);
            NDArray lower;
            NDArray totals;
            try (ai.djl.training.GradientCollector collector =
                Gradients.collector()) {
              Map<Integer, Relaxation> relaxed = new HashMap<>(relaxations);
              for (Target target : targets) {
                tighten(target, relaxed, alphas.get(target.node()), step, false);
              }
              NDArray stepRows = rows.duplicate();
              stepRows.attach(step);
              lower = backward(start, stepRows, offset, step, relaxed, alphas.get(start),
                  outward, betas);
              NDArray finite = lower.isNaN().logicalOr(lower.isInfinite()).logicalNot();
              totals = NDArrays.where(finite, lower, lower.zerosLike()).sum(new int[] {1});
              collector.backward(totals.sum().neg());
            }
            NDArray detached = lower.stopGradient();
            NDArray improved = NDArrays.where(detached.gt(bestLower), detached, bestLower);
            improved.attach(scope);
            bestLower.close();
            bestLower = improved;
            NDArray exampleTotals = totals.stopGradient();
            NDArray better = bestTotals == null ? exampleTotals.onesLike().toType(DataType.BOOLEAN,
                false) : exampleTotals.gt(bestTotals);
            NDArray newTotals = bestTotals == null ? exampleTotals.duplicate()
                : NDArrays.where(better, exampleTotals, bestTotals);
            newTotals.attach(scope);
            if (bestTotals != null) {
              bestTotals.close();
            }
            bestTotals = newTotals;
            for (Map.Entry<Integer, Map<Integer, NDArray>> e : alphas.entrySet()) {
              keepBetter(e.getValue(), best.get(e.getKey()), better, scope);
            }
            keepBetter(betas, keptBetas, better, scope);
            double total = valueOf(detached.sum());
            if (total > bestTotal) {
              bestTotal = total;
              sinceBest = 0;
            } else {
              sinceBest++;
            }
            double rate = settings.learningRate() * Math.pow(settings.learningRateDecay(), t - 1);
            double corrected = rate * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
            for (Map.Entry<NDArray, NDArray[]> e : moments.entrySet()) {
              NDArray a = e.getKey();
              NDArray gradient = a.getGradient();
              gradient.attach(step);
              NDArray[] m = e.getValue();
              a.getNDArrayInternal().adamUpdate(new NDList(a, gradient, m[0], m[1]),
                  new NDList(a), (float) rate, (float) corrected, 0f, 1f, -1f, 0.9f, 0.999f,
                  1e-8f, false, false);
              // In place in the engine: copyTo would go through a Java buffer.
              NDArray clipped = multipliers.contains(a) ? a.maximum(Constants.scalar(a, 0))
                  : a.clip(0, 1);
              clipped.attach(step);
              a.set(new NDIndex("..."), clipped);
              gradient.set(new NDIndex("..."), 0);
            }
        }
      }
      return new Optimised(best, keptBetas, bestLower);
    }

    /**
     * Replaces each array of {@code kept} by the current one of {@code current} for the examples
     * where {@code better} ({@code [N]}, boolean) holds.
     */
    private static void keepBetter(Map<Integer, NDArray> current, Map<Integer, NDArray> kept,
        NDArray better, NDManager scope) {
      for (Map.Entry<Integer, NDArray> a : current.entrySet()) {
        NDArray chosen = LayerOps.perExample(better, a.getValue().stopGradient(),
            kept.get(a.getKey()));
        chosen.attach(scope);
        kept.put(a.getKey(), chosen).close();
      }
    }

    /**
     * The iterations' own long-lived arrays (slopes, target rows, the offset), lent to each step
     * with the pass's by {@link #borrow}: products whose first operand they are are then freed
     * with the step instead of piling up in the group's scope until the last iteration.
     */
    private static List<NDArray> iterationArrays(Map<Integer, Map<Integer, NDArray>> alphas,
        List<Target> targets, NDArray offset) {
      List<NDArray> arrays = new ArrayList<>();
      alphas.values().forEach(m -> arrays.addAll(m.values()));
      for (Target t : targets) {
        arrays.add(t.rows());
        if (!t.patches()) {
          arrays.add(t.selection());
          arrays.add(t.selected());
        }
      }
      if (offset != null) {
        arrays.add(offset);
      }
      return arrays;
    }

    /**
     * A pre-activation node whose bounds alpha-CROWN recomputes, with the ReLU nodes reading it:
     * either as patches of all its units, or its {@code k} units unstable for some example as
     * dense rows {@code [1, 2k, ...units]} ({@code +e} then {@code -e}) with their one-hot
     * selection {@code [k, units]} and mask {@code [1, ...units]}.
     */
    private record Target(int node, NDArray rows, NDArray selection, NDArray selected,
        List<Integer> relus) {

      /**
       * Whether the rows are patches ({@code [1, 2C, H, W, C, 1, 1]}, every unit of an
       * image-shaped node, {@link #patchable}) rather than dense rows of the unstable units.
       */
      boolean patches() {
        return selection == null;
      }

      /** The same target with its rows in {@code type}, owned by {@code scope}. */
      Target in(DataType type, NDManager scope) {
        NDArray r = rows.toType(type, true);
        r.attach(scope);
        NDArray e = null;
        if (selection != null) {
          e = selection.toType(type, true);
          e.attach(scope);
        }
        return new Target(node, r, e, selected, relus);
      }
    }

    /**
     * The pre-activation nodes below {@code start} bounded by backward passes and unstable
     * somewhere, in order; a node is left out (keeping CROWN's bounds) when one example's slopes
     * for it would not fit in {@link #ALPHA_BYTES}.
     */
    private List<Target> targets(int start, NDManager scope) {
      Map<Integer, List<Integer>> readers = new java.util.TreeMap<>();
      for (int relu : relaxations.keySet()) {
        int source = network.inputs(relu)[0];
        if (relu < start && intermediate == Intermediate.CROWN && !intervalIsExact(source)) {
          readers.computeIfAbsent(source, k -> new ArrayList<>()).add(relu);
        }
      }
      List<Target> targets = new ArrayList<>();
      long n = input.centre().getShape().get(0);
      for (Map.Entry<Integer, List<Integer>> e : readers.entrySet()) {
        int node = e.getKey();
        Shape unit = shapeOf(node);
        NDArray unstable = relaxations.get(e.getValue().get(0)).unstable();
        NDArray anywhere = unstable.reshape(n, -1).max(new int[] {0});
        long k = (long) valueOf(anywhere.sum());
        if (k == 0) {
          continue;
        }
        if (patchable(node)) {
          int channels = (int) unit.get(0);
          long windows = 2L * unit.size();
          long perRow = 0;
          for (Shape window : patchSlopeShapes(node, 1).values()) {
            perRow += window.slice(4).size();
          }
          if (slopeBytes(windows, perRow) > ALPHA_BYTES) {
            continue;
          }
          NDArray eye = scope.eye(channels, channels, 0, type);
          NDArray rows = NDArrays.concat(new NDList(eye, eye.neg()), 0)
              .reshape(1, 2L * channels, 1, 1, channels, 1, 1)
              .repeat(2, unit.get(1)).repeat(3, unit.get(2));
          targets.add(new Target(node, rows, null, null, e.getValue()));
          continue;
        }
        if (slopeBytes(2 * k, unitsOf(slopeNodes(node))) > ALPHA_BYTES) {
          continue;
        }
        NDArray selection = anywhere.nonzero().squeeze(1).oneHot((int) unit.size())
            .toType(type, false);
        selection.attach(scope);
        NDArray rows = NDArrays.concat(new NDList(selection, selection.neg()), 0)
            .reshape(new Shape(1, 2 * k).addAll(unit));
        NDArray selected = anywhere.gt(Constants.scalar(anywhere, 0))
            .reshape(new Shape(1).addAll(unit));
        targets.add(new Target(node, rows, selection, selected, e.getValue()));
      }
      return targets;
    }

    /** The bytes one example's slopes for the rows of {@code start} and its targets take. */
    long slopeBytesPerExample(int start, long rows, NDManager scope) {
      long bytes = slopeBytes(rows, unitsOf(slopeNodes(start)));
      try (NDManager temporary = scope.newSubManager()) {
        for (Target t : targets(start, temporary)) {
          if (t.patches()) {
            for (Shape window : patchSlopeShapes(t.node(), 1).values()) {
              bytes += slopeBytes(window.size(), 1);
            }
          } else {
            bytes += slopeBytes(t.rows().getShape().get(1), unitsOf(slopeNodes(t.node())));
          }
        }
      }
      return bytes;
    }

    /** The units of the ReLU nodes {@code relus}, together. */
    private long unitsOf(List<Integer> relus) {
      long units = 0;
      for (int relu : relus) {
        units += relaxations.get(relu).unstable().getShape().slice(1).size();
      }
      return units;
    }

    /** The bytes of one example's slopes over {@code units} for {@code rows} rows. */
    private long slopeBytes(long rows, long units) {
      return rows * units * SLOPE_COPIES * type.getNumOfBytes();
    }

    /** The ReLU nodes that a bound of {@code node} passes, with a relaxation unstable somewhere. */
    private List<Integer> slopeNodes(int node) {
      java.util.BitSet above = new java.util.BitSet();
      java.util.ArrayDeque<Integer> open = new java.util.ArrayDeque<>(List.of(node));
      while (!open.isEmpty()) {
        for (int in : network.inputs(open.pop())) {
          if (in != Network.INPUT && !above.get(in)) {
            above.set(in);
            open.push(in);
          }
        }
      }
      List<Integer> relus = new ArrayList<>();
      for (int relu : new java.util.TreeSet<>(relaxations.keySet())) {
        if (above.get(relu) && valueOf(relaxations.get(relu).unstable().sum()) > 0) {
          relus.add(relu);
        }
      }
      return relus;
    }

    /**
     * Initial slopes (CROWN's) of the rows of a bound of {@code node}, {@code [N, rows, ...units]}
     * per ReLU it passes, as leaves for gradients.
     */
    private Map<Integer, NDArray> slopesFor(int node, long rows, NDManager scope) {
      long n = input.centre().getShape().get(0);
      Map<Integer, NDArray> slopes = new HashMap<>();
      for (int relu : slopeNodes(node)) {
        NDArray crown = relaxations.get(relu).lowerSlope();
        NDArray init = crown.expandDims(1)
            .broadcast(new Shape(n, rows).addAll(crown.getShape().slice(1))).duplicate();
        init.attach(scope);
        init.setRequiresGradient(true);
        slopes.put(relu, init);
      }
      return slopes;
    }

    /**
     * The shapes {@code [n, R, H, W, C, K, K]} of the per-window slopes of the ReLUs that the
     * patch rows of image-shaped node {@code node} pass ({@code R} = twice its channels), and the
     * placement of each window; the same walk as {@link #patchBackward}.
     */
    private Map<Integer, Shape> patchSlopeShapes(int node, long n) {
      Shape unit = shapeOf(node);
      long rows = 2 * unit.get(0);
      int channels = (int) unit.get(0);
      int k = 1;
      Map<Integer, Shape> shapes = new java.util.TreeMap<>();
      for (int i = node; i != Network.INPUT; i = network.inputs(i)[0]) {
        if (network.layers().get(i) instanceof Conv2d cv) {
          k = (k - 1) * cv.stride() + cv.kernelSize();
          channels = cv.inChannels();
        } else if (relaxations.containsKey(i)) {
          shapes.put(i, new Shape(n, rows, unit.get(1), unit.get(2), channels, k, k));
        }
      }
      return shapes;
    }

    /** CROWN's slopes unfolded into the windows of {@code node}'s patch rows, as leaves. */
    private Map<Integer, NDArray> patchSlopesFor(int node, NDManager scope) {
      long n = input.centre().getShape().get(0);
      Map<Integer, NDArray> slopes = new HashMap<>();
      int stride = 1;
      int padding = 0;
      Map<Integer, Shape> shapes = patchSlopeShapes(node, n);
      for (int i = node; i != Network.INPUT; i = network.inputs(i)[0]) {
        if (network.layers().get(i) instanceof Conv2d cv) {
          padding = padding * cv.stride() + cv.padding();
          stride *= cv.stride();
        } else if (shapes.containsKey(i) && slopeNodes(node).contains(i)) {
          Shape full = shapes.get(i);
          NDArray placeholder = scope.zeros(new Shape(1, 1, full.get(2), full.get(3), 1,
              full.get(5), full.get(6)), type);
          NDArray init = unfold(relaxations.get(i).lowerSlope(),
              new Patches(placeholder, stride, padding)).broadcast(full).duplicate();
          init.attach(scope);
          init.setRequiresGradient(true);
          slopes.put(i, init);
        }
      }
      return slopes;
    }

    /**
     * Recomputes the bounds of {@code target}'s units with {@code slopes} and the relaxations so
     * far, and refits the relaxations of the ReLUs reading it. With {@code floor}, CROWN's bound
     * is kept where it is tighter (the final, sound evaluation); the iterations go without, as
     * auto_LiRPA's do, so that no slope loses its gradient to the floor.
     */
    private Box tighten(Target target, Map<Integer, Relaxation> relaxed,
        Map<Integer, NDArray> slopes, NDManager scope, boolean floor) {
      // Results belong to their first operand's manager: a copy in scope keeps them there.
      NDArray rows = target.rows().duplicate();
      rows.attach(scope);
      Box crown = bounds.get(target.node());
      Shape shape = crown.centre().getShape();
      NDArray l;
      NDArray u;
      if (target.patches()) {
        long channels = shape.get(1);
        NDArray lower = patchBackward(target.node(), new Patches(rows, 1, 0), scope, relaxed,
            slopes, outward);
        l = lower.get(new NDIndex(":, 0:{}", channels));
        u = lower.get(new NDIndex(":, {}:", channels)).neg();
        if (floor) {
          l = crown.lower().maximum(l);
          u = crown.upper().minimum(u);
        }
      } else {
        long k = target.selection().getShape().get(0);
        NDArray lower = backward(target.node(), rows, null, scope, relaxed, slopes, outward);
        NDArray lo = lower.get(new NDIndex(":, 0:{}", k)).matMul(target.selection())
            .reshape(shape);
        NDArray hi = lower.get(new NDIndex(":, {}:", k)).neg().matMul(target.selection())
            .reshape(shape);
        NDArray selected = target.selected().duplicate();
        selected.attach(scope);
        selected = selected.broadcast(shape);
        l = NDArrays.where(selected, floor ? crown.lower().maximum(lo) : lo, crown.lower());
        u = NDArrays.where(selected, floor ? crown.upper().minimum(hi) : hi, crown.upper());
      }
      Box box = split(target.node(), Box.fromBounds(l, u));
      Relaxation refit = Relaxation.relu(box);
      for (int relu : target.relus()) {
        relaxed.put(relu, refit);
      }
      return box;
    }

    /**
     * Row {@code a} through a Sigmoid or Tanh node reading {@code below}: the line below where a
     * coefficient is positive, the line above where it is negative. The lines hold as computed,
     * so only the products and the constant's sum over the {@code units} round; the error term is
     * the ReLU's, with both intercepts.
     */
    private void curveStep(Curve curve, NDArray a, int below, int units,
        Map<Integer, NDArray> pending, Terms terms) {
      NDArray positive = Activation.relu(a);
      NDArray negative = a.sub(positive);
      NDArray lowerIntercept = curve.lowerIntercept().expandDims(1);
      NDArray upperIntercept = curve.upperIntercept().expandDims(1);
      terms.constant(sumUnits(positive.mul(lowerIntercept).add(negative.mul(upperIntercept))));
      if (terms.outward) {
        terms.error(sumUnits(a.abs().mul(magnitude(below).expandDims(1)
            .add(lowerIntercept.abs()).add(upperIntercept.abs()))),
            gammaUlps(RELU_TERMS + units));
        terms.underflow(magnitude(below), 2);
      }
      push(pending, below, positive.mul(curve.lowerSlope().expandDims(1))
          .add(negative.mul(curve.upperSlope().expandDims(1))), terms);
    }

    /**
     * Lends the pass's long-lived arrays (boxes, bounds, relaxations) to {@code scope} until it
     * closes. An operation's result belongs to its first operand's manager, so everything a
     * chunk or an iteration derives from them is then freed with it, not kept to the end.
     */
    void borrow(NDManager scope) {
      borrow(scope, List.of());
    }

    /** {@link #borrow(NDManager)}, lending {@code more} arrays too. */
    void borrow(NDManager scope, List<NDArray> more) {
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
      for (Pooling pool : pools.values()) {
        lent.add(pool.selection());
        lent.add(pool.dominated());
        lent.add(pool.maxUpper());
      }
      for (Curve curve : curves.values()) {
        lent.add(curve.lowerSlope());
        lent.add(curve.lowerIntercept());
        lent.add(curve.upperSlope());
        lent.add(curve.upperIntercept());
      }
      for (Relaxation relax : relaxations.values()) {
        lent.add(relax.lowerSlope());
        lent.add(relax.upperSlope());
        lent.add(relax.upperIntercept());
        lent.add(relax.unstable());
      }
      for (NDArray[] masks : clamps.values()) {
        lent.add(masks[0]);
        lent.add(masks[1]);
      }
      lent.addAll(more);
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

    /**
     * {@code |W| * M + |b|} per output unit of a convolution reading node {@code below}, at least
     * the exact value: computed in float64 (the engine's float32 convolution may take a Winograd
     * path, whose error a sum-of-products bound does not cover) and rounded up.
     */
    private NDArray convolutionReach(Conv2d cv, int below, NDArray like, NDManager scope) {
      NDArray m = magnitude(below).toType(DataType.FLOAT64, false);
      NDArray absW = LayerOps.cast(cv.weight(), m, scope).abs();
      NDArray absB = LayerOps.cast(cv.bias(), m, scope).abs();
      NDArray reach = LayerOps.conv2d(m, absW, absB, cv.stride(), cv.padding());
      return upperBound(reach, cv.inChannels() * cv.kernelSize() * cv.kernelSize() + 1);
    }

    /**
     * A magnitude computed in float64 as sums of {@code terms} non-negative products, raised by
     * their rounding ({@code gamma_terms}, doubled to cover the raise's own) and rounded up to
     * this pass's type: at least the exact value.
     */
    private NDArray upperBound(NDArray magnitude, int terms) {
      double raise = 1 + 2 * Precision.gammaUlps(terms, IntervalDomain.UNIT_ROUNDOFF)
          * IntervalDomain.UNIT_ROUNDOFF;
      return Precision.up(magnitude.mul(Constants.scalar(magnitude, raise)), type);
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
        pending.put(node, terms.keep(a));
        return;
      }
      NDArray sum = earlier.add(a);
      if (terms.outward) {
        terms.error(rowsTimes(earlier.abs().add(a.abs()), magnitude(node)),
            gammaUlps(1));
      }
      pending.put(node, terms.keep(sum));
    }

    /** The shape of one value of {@code node}, without the batch axis. */
    private Shape shapeOf(int node) {
      return intervals.of(node).centre().getShape().slice(1);
    }
  }

  /**
   * Higham's terms for the coefficients of a backward convolution step: the transposed products
   * ({@code C_out k^2} each) and two for the sum that meets the reach (an upper bound already).
   */
  private static int convolutionTerms(Conv2d cv) {
    return cv.outChannels() * cv.kernelSize() * cv.kernelSize() + 2;
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
    /** The pass's scope: the sums, and the coefficients pending between steps, live here. */
    private final NDManager home;
    /** The caller's rows, which stay in the caller's manager. */
    private final NDArray rows;
    /** The unit roundoff and the smallest subnormal of the pass's type. */
    private final double unit;
    private final double tiny;

    /**
     * Terms of rows of rank {@code rank} ({@code [B, S]} 2, patches {@code [B, R, H, W]} 4),
     * kept in {@code home} while each step's temporaries go with the step's own scope.
     */
    Terms(boolean outward, int rank, NDManager home, NDArray rows, double unit, double tiny) {
      this.outward = outward;
      this.rank = rank;
      this.home = home;
      this.rows = rows;
      this.unit = unit;
      this.tiny = tiny;
    }

    /** {@code array}, moved to the pass's scope unless it is the caller's rows. */
    NDArray keep(NDArray array) {
      if (array != rows) {
        array.attach(home);
      }
      return array;
    }

    /** {@code sum + term} (or a copy of {@code term}), in the pass's scope. */
    private NDArray plus(NDArray sum, NDArray term) {
      NDArray result = sum == null ? term.duplicate() : sum.add(term);
      result.attach(home);
      return result;
    }

    void constant(NDArray term) {
      if (term == null) {
        return;
      }
      constant = plus(constant, term);
      if (outward) {
        constantMagnitude = plus(constantMagnitude, term.abs());
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
          .mul(Constants.scalar(m, 2.0 * products * tiny))
          .reshape(new Shape(shape));
      error = plus(error, total);
    }

    /** Adds {@code gammaUlps} units of roundoff of {@code magnitude} ({@code [B, S]}). */
    void error(NDArray magnitude, double gammaUlps) {
      NDArray e = magnitude.mul(Constants.scalar(magnitude,
          BACKWARD_GAMMAS * gammaUlps * unit));
      error = plus(error, e);
    }

    /**
     * The constant minus the error bound: the sums of the constants ({@code steps} of them) and
     * of the errors, and one underflow per product (at most {@code widest} per row and step).
     */
    NDArray lower(int steps, long widest) {
      if (!outward || constant == null) {
        return constant;
      }
      double sums = Precision.gammaUlps(steps + 2, unit);
      error(constantMagnitude, sums);
      NDArray total = error.mul(Constants.scalar(error, 1 + sums * unit))
          .add(Constants.scalar(error, (double) steps * widest * 4 * tiny));
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

  /** The value of a one-element array of any float type. */
  private static double valueOf(NDArray scalar) {
    return scalar.toType(DataType.FLOAT64, false).getDouble();
  }

  /**
   * {@code sum_units a t} of rows {@code a [B, S, ...units]} ({@code B} 1 or N) and
   * {@code t [N, ...units]}: {@code [N, S]}, as matrix products.
   */
  private static NDArray rowsDot(NDArray a, NDArray t) {
    long n = t.getShape().get(0);
    long b = a.getShape().get(0);
    long s = a.getShape().get(1);
    NDArray flatT = t.reshape(n, -1);
    if (b == 1) {
      return flatT.matMul(a.reshape(s, -1).transpose());
    }
    return a.reshape(b, s, -1).matMul(flatT.reshape(n, -1, 1)).squeeze(2);
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
    Shape xs = x.getShape();
    int k = (int) ps.get(5);
    NDArray taps = windowTaps(x, ps.get(2), ps.get(3), k, p.stride(), p.padding());
    // [N, C, Hs, Ws, K*K] -> [N, 1, Hs, Ws, C, K, K]
    return taps.reshape(xs.get(0), xs.get(1), ps.get(2), ps.get(3), k, k)
        .transpose(0, 2, 3, 1, 4, 5).expandDims(1);
  }

  /**
   * The {@code k x k} windows of {@code x [N, C, H, W]} at {@code hs x ws} positions with stride
   * {@code s} and zero padding {@code pad} (more at the far sides when the windows need it):
   * {@code [N, C, Hs, Ws, K*K]}.
   */
  private static NDArray windowTaps(NDArray x, long hs, long ws, int k, int s, int pad) {
    Shape xs = x.getShape();
    long needH = (hs - 1) * s + k;
    long needW = (ws - 1) * s + k;
    NDArray padded = pad2d(x, pad, (int) Math.max(0, needH - pad - xs.get(2)), pad,
        (int) Math.max(0, needW - pad - xs.get(3)));
    Shape ps = padded.getShape();
    // One gather of every window's entries from the flattened plane: a slice per tap costs an
    // operation (and a full-size backward node) each, and windows grow to hundreds of taps.
    long width = ps.get(3);
    long[] offsets = new long[Math.toIntExact(hs * ws * k * k)];
    int i = 0;
    for (long y = 0; y < hs; y++) {
      for (long xo = 0; xo < ws; xo++) {
        for (int ky = 0; ky < k; ky++) {
          for (int kx = 0; kx < k; kx++) {
            offsets[i++] = (y * s + ky) * width + xo * s + kx;
          }
        }
      }
    }
    NDArray index = padded.getManager().create(offsets);
    return padded.reshape(ps.get(0), ps.get(1), ps.get(2) * width)
        .get(new NDIndex(":, :, {}", index))
        .reshape(ps.get(0), ps.get(1), hs, ws, (long) k * k);
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
  /**
   * A MaxPool node's relaxation per window {@code [N, C, Ho, Wo]}: the one-hot choice of input
   * over the window's taps ({@code [N, C, Ho, Wo, K*K]}), whether that input dominates (1 or 0),
   * and the largest upper bound in the window.
   */
  private record Pooling(NDArray selection, NDArray dominated, NDArray maxUpper) { }

  /**
   * The window taps of {@code x [N, C, H, W]} under max pooling {@code p},
   * {@code [N, C, Ho, Wo, K*K]}, padding as minus infinity.
   */
  private static NDArray poolTaps(NDArray x, MaxPool p) {
    long ho = p.outputSize((int) x.getShape().get(2));
    long wo = p.outputSize((int) x.getShape().get(3));
    NDArray taps = windowTaps(x, ho, wo, p.kernel(), p.stride(), p.padding());
    NDArray inside = windowTaps(x.onesLike(), ho, wo, p.kernel(), p.stride(), p.padding())
        .gt(Constants.scalar(x, 0));
    return NDArrays.where(inside, taps, minusInfinityLike(taps));
  }

  /** An array of {@code like}'s shape and type holding minus infinity. */
  private static NDArray minusInfinityLike(NDArray like) {
    return like.zerosLike().add(Constants.scalar(like, Double.NEGATIVE_INFINITY));
  }

  /**
   * The adjoint of picking one input per window: coefficients {@code a [B, S, C, Ho, Wo]} moved
   * to the chosen taps ({@code selection [N, C, Ho, Wo, K*K]}) of an input of shape
   * {@code inputShape}, summed where windows overlap, by one transposed convolution whose
   * kernel holds tap {@code t} in channel {@code t}.
   */
  private static NDArray poolAdjoint(NDArray a, NDArray selection, MaxPool p, Shape inputShape) {
    int taps = p.kernel() * p.kernel();
    NDArray perTap = a.expandDims(-1).mul(selection.expandDims(1));
    Shape ps = perTap.getShape();
    long b = ps.get(0);
    long s = ps.get(1);
    long channels = ps.get(2);
    Shape out = new Shape(channels, ps.get(3), ps.get(4));
    NDArray flat = perTap.reshape(b * s * channels, ps.get(3), ps.get(4), taps)
        .transpose(0, 3, 1, 2);
    NDArray kernel = a.getManager().eye(taps, taps, 0, a.getDataType())
        .reshape(taps, 1, p.kernel(), p.kernel());
    NDArray back = LayerOps.conv2dTranspose(flat, kernel, p.stride(), p.padding(),
        outputPadding(inputShape, out, p.kernel(), p.stride(), p.padding(), 1),
        outputPadding(inputShape, out, p.kernel(), p.stride(), p.padding(), 2));
    return back.reshape(new Shape(b, s).addAll(inputShape));
  }

  /** Lines below and above a Sigmoid or Tanh node, per unit {@code [N, ...units]}. */
  private record Curve(NDArray lowerSlope, NDArray lowerIntercept, NDArray upperSlope,
      NDArray upperIntercept) { }

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
}
