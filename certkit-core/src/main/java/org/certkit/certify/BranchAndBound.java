package org.certkit.certify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.certkit.domain.Box;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.domain.ReluSplits;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * Branch and bound on ReLU splits: a proof that some row of a linear specification is positive
 * on the whole input box. A subproblem is the box with some ReLU inputs split at least or at most
 * 0; it is done when a sound domain proves a row positive under its splits
 * ({@link LinearBoundDomain#branchBounds}), or when its splits leave no point. The root is
 * bounded by {@code root} (alpha-CROWN, say), which also gives the pre-activation bounds; a child
 * keeps its parent's pre-activation bounds (sound for it, as its points are among the parent's)
 * and costs one backward pass of the specification's rows in {@code children}. An open
 * subproblem is split both ways on one unstable unit: of the three with the best BaBSR intercept
 * score, the one whose two children have the best worse bound under cheap CROWN bounds
 * (filtered smart branching, De Palma et al. 2021). Subproblems with the lowest bound go first,
 * {@code batch} children bounded together. Every
 * "proven" rests on sound bounds only: the proof is the tree of splits, each leaf bounded by the
 * domain, decided by the {@link Leaf}, or empty.
 *
 * <p>A subproblem with every unstable unit split, where the network is affine, goes to the
 * {@code leaf} when there is one (an exact linear program, say): it either proves the
 * subproblem or returns points for the caller to check as counterexamples. Without a leaf the
 * search stops undecided there.
 *
 * @param root the sound domain of the first subproblem, the whole box
 * @param children the sound domain of the others
 * @param batch children bounded per call, at least 2
 * @param maxOpen the most open subproblems kept (memory); beyond it the search gives up
 * @param leaf decides the subproblems with every unstable unit split; null for none
 */
public record BranchAndBound(LinearBoundDomain root, LinearBoundDomain children, int batch,
    int maxOpen, Leaf leaf) {

  /** Children bounded per call by {@link #standard()}. */
  public static final int STANDARD_BATCH = 256;
  /** Adam steps per child in {@link #standard()}. */
  public static final int STANDARD_ITERATIONS = 20;
  private static final BatchStatistics EVAL = BatchStatistics.evaluation();
  /** Units whose splits filtered smart branching tries per subproblem. */
  private static final int CANDIDATES = 3;
  /** The cheap bounds that rank the candidates: CROWN on the parent's bounds, to nearest. */
  private static final LinearBoundDomain SCORING = new LinearBoundDomain(
      LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.NEAREST);

  /** Validates the arguments. */
  public BranchAndBound {
    if (!root.sound() || !children.sound()) {
      throw new IllegalArgumentException("branch and bound needs a sound domain");
    }
    if (batch < 2 || maxOpen < 1) {
      throw new IllegalArgumentException("need batch >= 2 and maxOpen >= 1, got " + batch
          + " and " + maxOpen);
    }
  }

  /**
   * alpha-CROWN at the root; for the children, 20 Adam steps on the specification's slopes and
   * beta-CROWN's multipliers of the splits, on the parent's pre-activation bounds (both sound,
   * outward rounding); 256 children per call, at most 50,000 open.
   */
  public static BranchAndBound standard() {
    return standard(LinearBoundDomain.SoundArithmetic.FLOAT64);
  }

  /** As {@link #standard()}, the bounds computed in {@code arithmetic}. */
  public static BranchAndBound standard(LinearBoundDomain.SoundArithmetic arithmetic) {
    return of(STANDARD_BATCH, STANDARD_ITERATIONS, arithmetic);
  }

  /**
   * As {@link #standard()} with {@code batch} children per call and {@code iterations} Adam
   * steps on each child's slopes and multipliers (from its parent's).
   */
  public static BranchAndBound of(int batch, int iterations,
      LinearBoundDomain.SoundArithmetic arithmetic) {
    IntervalDomain.Rounding sound = IntervalDomain.Rounding.OUTWARD;
    return new BranchAndBound(new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, sound,
        LinearBoundDomain.SlopeOptimisation.standard(), arithmetic),
        new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, sound,
            new LinearBoundDomain.SlopeOptimisation(iterations, 0.1, 0.98, iterations, false),
            arithmetic), batch, 50_000, null);
  }

  /** This search with {@code leaf} deciding the subproblems that have every unstable unit split. */
  public BranchAndBound withLeaf(Leaf leaf) {
    return new BranchAndBound(root, children, batch, maxOpen, leaf);
  }

  /**
   * Decides a subproblem on which the network is affine: every ReLU input with
   * {@code lower < 0 < upper} under its bounds is split. Implementations must be sound: a
   * {@link LeafAnswer.Proven} means some row is positive on every point of the subproblem.
   */
  @FunctionalInterface
  public interface Leaf {

    /**
     * The answer for one subproblem.
     *
     * @param network the network searched
     * @param lower the box's lower corner, flattened, float64
     * @param upper its upper corner
     * @param matrix the specification's rows over the outputs, {@code [S][K]}
     * @param offset their offsets, {@code [S]}
     * @param preLower per ReLU layer in order, the subproblem's sound lower bounds of its inputs
     * @param preUpper the upper bounds
     * @param signs per ReLU layer, the splits (1: input at least 0, -1: at most 0, 0: none);
     *     an entry is null when the layer has no split
     */
    LeafAnswer decide(Network network, double[] lower, double[] upper, double[][] matrix,
        double[] offset, double[][] preLower, double[][] preUpper, byte[][] signs);
  }

  /** What a {@link Leaf} says about a subproblem. */
  public sealed interface LeafAnswer {

    /** Some row is positive on every point of the subproblem (or it has no point). */
    record Proven() implements LeafAnswer { }

    /** Points of the box that may violate the specification, for the caller to check. */
    record Points(List<double[]> candidates) implements LeafAnswer { }

    /** Neither, and why. */
    record Open(String reason) implements LeafAnswer { }
  }

  /** Where a search stands, for progress lines. */
  public record Progress(long open, long bounded, double worstBound, Duration elapsed) { }

  /** What a search found. */
  public sealed interface Outcome {

    /** Subproblems bounded. */
    long bounded();

    /** Every subproblem proven or empty: the specification holds on the box. */
    record Proven(long bounded) implements Outcome { }

    /**
     * The search stopped undecided.
     *
     * @param reason why: the time limit, the open-subproblem limit, or a subproblem with every
     *     unstable unit split that the domain still cannot prove
     * @param worstBound the lowest bound of an open subproblem
     * @param timedOut whether the time limit stopped it
     */
    record Undecided(String reason, double worstBound, boolean timedOut, long bounded)
        implements Outcome { }

    /**
     * The {@link Leaf} returned points of a subproblem where no row is proven positive: the
     * caller checks them as counterexamples (they are not checked here).
     */
    record Candidates(List<double[]> points, long bounded) implements Outcome { }
  }

  /** Receives progress now and then. */
  @FunctionalInterface
  public interface Listener {
    void progress(Progress progress);
  }

  /**
   * An open subproblem: its splits per ReLU node, its bound, its pre-activation bounds, and the
   * specification's slopes and multipliers its bound was optimised with, which its children
   * start from: per ReLU position, the slopes of its unstable units ({@code S} rows times the
   * units with {@code lower < 0 < upper}, in unit order) and the multipliers of its split units
   * (rows times the split units); null when the domain does not optimise slopes.
   */
  private record Subproblem(Map<Integer, byte[]> signs, double bound, double[][] lower,
      double[][] upper, float[][] weights, float[][] slopes, float[][] betas) { }

  /**
   * Tries to prove that on every point of the box some row of {@code spec} is positive.
   *
   * @param lower the box's lower corner {@code [1, ...input]}, float64; not modified
   * @param upper its upper corner
   * @param spec the rows, {@code C [1, S, K]} and {@code d [1, S]}
   * @param timeout the time this search may take
   * @param rootBounds sound pre-activation bounds of every ReLU on the whole box (from an
   *     alpha-CROWN run for other rows, say: they do not depend on the rows), batch-first with
   *     batch 1; the root then costs what a child costs. Null to bound the root with
   *     {@link #root}.
   */
  public Outcome prove(Network network, NDArray lower, NDArray upper,
      Specification.LinearConstraints spec, Duration timeout, Listener listener,
      List<Box> rootBounds) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    List<Integer> relus = new ArrayList<>();
    for (int i = 0; i < network.layers().size(); i++) {
      if (network.layers().get(i) instanceof Relu) {
        relus.add(i);
      }
    }
    double[] flatLower = lower.toType(DataType.FLOAT64, false).toDoubleArray();
    double[] flatUpper = upper.toType(DataType.FLOAT64, false).toDoubleArray();
    int rowCount = (int) spec.matrix().getShape().get(1);
    double[] specValues = spec.matrix().toType(DataType.FLOAT64, false).toDoubleArray();
    int outputs = specValues.length / rowCount;
    double[][] specMatrix = new double[rowCount][];
    for (int s = 0; s < rowCount; s++) {
      specMatrix[s] = java.util.Arrays.copyOfRange(specValues, s * outputs, (s + 1) * outputs);
    }
    double[] specOffset = spec.offset().toType(DataType.FLOAT64, false).toDoubleArray();
    PriorityQueue<Subproblem> open = new PriorityQueue<>(
        (a, b) -> Double.compare(a.bound(), b.bound()));
    long bounded = 0;
    List<Map<Integer, byte[]>> pending = List.of(new HashMap<>());
    List<Subproblem> parents = null;
    List<Shape> reluShapes = new ArrayList<>();
    while (true) {
      List<Subproblem> children = bound(parents == null && rootBounds == null ? root
          : this.children, network, lower, upper, spec, relus, reluShapes, pending, parents,
          rootBounds);
      bounded += pending.size();
      for (Subproblem child : children) {
        if (child != null) {
          open.add(child);
        }
      }
      double worst = open.isEmpty() ? Double.POSITIVE_INFINITY : open.peek().bound();
      long now = System.nanoTime();
      if (listener != null) {
        listener.progress(new Progress(open.size(), bounded, worst,
            Duration.ofNanos(now - start)));
      }
      if (open.isEmpty()) {
        return new Outcome.Proven(bounded);
      }
      if (now > deadline) {
        return new Outcome.Undecided("time limit of " + timeout.toSeconds() + " s", worst, true,
            bounded);
      }
      if (open.size() > maxOpen) {
        return new Outcome.Undecided(open.size() + " open subproblems, more than " + maxOpen,
            worst, false, bounded);
      }
      List<Subproblem> chosen = new ArrayList<>();
      List<List<int[]>> candidates = new ArrayList<>();
      while (2 * chosen.size() + 2 <= batch && !open.isEmpty()) {
        Subproblem parent = open.poll();
        List<int[]> units = branchingUnits(parent, relus, CANDIDATES);
        if (units.isEmpty()) {
          String unproven = "a subproblem with every unstable ReLU split is not proven (bound "
              + parent.bound() + ")";
          if (leaf == null) {
            return new Outcome.Undecided(unproven, parent.bound(), false, bounded);
          }
          LeafAnswer answer = leaf.decide(network, flatLower, flatUpper, specMatrix,
              specOffset, parent.lower(), parent.upper(), signsOf(parent, relus));
          bounded++;
          if (answer instanceof LeafAnswer.Points points) {
            return new Outcome.Candidates(points.candidates(), bounded);
          }
          if (answer instanceof LeafAnswer.Open why) {
            return new Outcome.Undecided(unproven + "; the leaf: " + why.reason(),
                parent.bound(), false, bounded);
          }
          continue;
        }
        chosen.add(parent);
        candidates.add(units);
      }
      if (chosen.isEmpty()) {
        return new Outcome.Proven(bounded);
      }
      // Filtered smart branching: the candidates' children bounded cheaply, the best kept.
      List<Map<Integer, byte[]>> trials = new ArrayList<>();
      List<Subproblem> trialParents = new ArrayList<>();
      for (int p = 0; p < chosen.size(); p++) {
        for (int[] unit : candidates.get(p)) {
          for (byte sign : new byte[] {1, -1}) {
            trials.add(split(chosen.get(p), relus, unit, sign));
            trialParents.add(chosen.get(p));
          }
        }
      }
      double[] trialBounds = new double[trials.size()];
      for (int from = 0; from < trials.size(); from += batch) {
        int to = Math.min(trials.size(), from + batch);
        List<Subproblem> bounds = bound(SCORING, network, lower, upper, spec, relus, reluShapes,
            trials.subList(from, to), trialParents.subList(from, to), null);
        for (int i = from; i < to; i++) {
          Subproblem b = bounds.get(i - from);
          trialBounds[i] = b == null ? Double.POSITIVE_INFINITY : b.bound();
        }
      }
      List<Map<Integer, byte[]>> next = new ArrayList<>();
      List<Subproblem> nextParents = new ArrayList<>();
      for (int p = 0, t = 0; p < chosen.size(); p++) {
        int[] best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int[] unit : candidates.get(p)) {
          double score = Math.min(trialBounds[t], trialBounds[t + 1]);
          t += 2;
          if (best == null || score > bestScore) {
            best = unit;
            bestScore = score;
          }
        }
        for (byte sign : new byte[] {1, -1}) {
          next.add(split(chosen.get(p), relus, best, sign));
          nextParents.add(chosen.get(p));
        }
      }
      pending = next;
      parents = nextParents;
    }
  }

  /**
   * Bounds the subproblems with splits {@code pending} in one batch, each child with its
   * parent's pre-activation bounds ({@code parents}, null at the root, which has
   * {@code rootBounds} or none); the open ones come back
   * (null for those proven or empty). The root fills {@code reluShapes}, the shapes of the ReLU
   * inputs without the batch axis.
   */
  private List<Subproblem> bound(LinearBoundDomain domain, Network network, NDArray lower,
      NDArray upper,
      Specification.LinearConstraints spec, List<Integer> relus, List<Shape> reluShapes,
      List<Map<Integer, byte[]>> pending, List<Subproblem> parents, List<Box> rootBounds) {
    int n = pending.size();
    NDManager caller = lower.getManager();
    List<Subproblem> out = new ArrayList<>();
    try (NDManager scope = caller.newSubManager()) {
      Shape batchShape = new Shape(n).addAll(lower.getShape().slice(1));
      NDArray lo = lower.broadcast(batchShape).duplicate();
      NDArray hi = upper.broadcast(batchShape).duplicate();
      lo.attach(scope);
      hi.attach(scope);
      Specification.LinearConstraints rows = spec.repeated(n, scope);
      Map<Integer, NDArray> signs = new HashMap<>();
      for (int r = 0; r < relus.size(); r++) {
        int node = relus.get(r);
        boolean any = false;
        for (Map<Integer, byte[]> p : pending) {
          any |= p.containsKey(node);
        }
        if (!any) {
          continue;
        }
        int units = -1;
        for (Map<Integer, byte[]> p : pending) {
          if (p.containsKey(node)) {
            units = p.get(node).length;
          }
        }
        byte[] all = new byte[n * units];
        for (int i = 0; i < n; i++) {
          byte[] s = pending.get(i).get(node);
          if (s != null) {
            System.arraycopy(s, 0, all, i * units, units);
          }
        }
        signs.put(node, scope.create(all, new Shape(n).addAll(reluShapes.get(r))));
      }
      List<Box> given = null;
      if (parents != null) {
        given = new ArrayList<>();
        for (int r = 0; r < relus.size(); r++) {
          int units = parents.getFirst().lower()[r].length;
          double[] lo2 = new double[n * units];
          double[] hi2 = new double[n * units];
          for (int i = 0; i < n; i++) {
            System.arraycopy(parents.get(i).lower()[r], 0, lo2, i * units, units);
            System.arraycopy(parents.get(i).upper()[r], 0, hi2, i * units, units);
          }
          Shape shape = new Shape(n).addAll(reluShapes.get(r));
          given.add(Box.fromBounds(scope.create(lo2, shape), scope.create(hi2, shape)));
        }
      }
      if (parents == null && rootBounds != null) {
        given = rootBounds;
      }
      int specRows = (int) spec.matrix().getShape().get(1);
      LinearBoundDomain.WarmStart warm = parents != null && domain.optimisesSlopes()
          && parents.getFirst().slopes() != null
          ? warmStart(parents, relus, reluShapes, specRows, scope) : null;
      LinearBoundDomain.BranchBounds result = domain.branchBounds(
          network, new InputSet.BoxRegion(lo, hi), rows, EVAL, new ReluSplits(signs),
          given, warm);
      List<float[]> slopes = new ArrayList<>();
      List<float[]> betas = new ArrayList<>();
      for (int node : relus) {
        NDArray a = result.optimised() == null ? null : result.optimised().slopes().get(node);
        NDArray b = result.optimised() == null ? null : result.optimised().betas().get(node);
        slopes.add(a == null ? null : a.toFloatArray());
        betas.add(b == null ? null : b.toFloatArray());
      }
      double[] exactRows = result.lower().toType(DataType.FLOAT64, false).toDoubleArray();
      boolean[] empty = result.infeasible().toBooleanArray();
      int s = (int) (exactRows.length / n);
      List<double[]> lowers = new ArrayList<>();
      List<double[]> uppers = new ArrayList<>();
      List<float[]> weights = new ArrayList<>();
      for (NDArray w : result.upperLineWeights()) {
        weights.add(w == null ? null : w.toFloatArray());
      }
      for (Box box : result.reluInputs()) {
        lowers.add(box.lower().toType(DataType.FLOAT64, false).toDoubleArray());
        uppers.add(box.upper().toType(DataType.FLOAT64, false).toDoubleArray());
        if (reluShapes.size() < relus.size()) {
          reluShapes.add(box.lower().getShape().slice(1));
        }
      }
      for (int i = 0; i < n; i++) {
        double best = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < s; j++) {
          double v = exactRows[i * s + j];
          best = Double.isNaN(v) ? best : Math.max(best, v);
        }
        if (empty[i] || best > 0) {
          out.add(null);
          continue;
        }
        double[][] lo2 = new double[relus.size()][];
        double[][] hi2 = new double[relus.size()][];
        float[][] w2 = new float[relus.size()][];
        boolean optimised = result.optimised() != null;
        float[][] a2 = optimised ? new float[relus.size()][] : null;
        float[][] b2 = optimised ? new float[relus.size()][] : null;
        for (int r = 0; r < relus.size(); r++) {
          int units = lowers.get(r).length / n;
          lo2[r] = java.util.Arrays.copyOfRange(lowers.get(r), i * units, (i + 1) * units);
          hi2[r] = java.util.Arrays.copyOfRange(uppers.get(r), i * units, (i + 1) * units);
          w2[r] = weights.get(r) == null ? null
              : java.util.Arrays.copyOfRange(weights.get(r), i * units, (i + 1) * units);
          if (optimised) {
            a2[r] = slopes.get(r) == null ? null
                : gather(slopes.get(r), i, specRows, units, unstable(lo2[r], hi2[r]));
            b2[r] = betas.get(r) == null ? null
                : gather(betas.get(r), i, specRows, units,
                    split(pending.get(i).get(relus.get(r))));
          }
        }
        out.add(new Subproblem(pending.get(i), best, lo2, hi2, w2, a2, b2));
      }
    }
    return out;
  }

  /**
   * Where the children's slopes and multipliers start: each child's parent's, scattered back to
   * full arrays {@code [n, S, ...units]} (0 where the parent kept none: its stable units, whose
   * slopes no bound uses, and the child's new split, whose multiplier starts at 0).
   */
  private static LinearBoundDomain.WarmStart warmStart(List<Subproblem> parents,
      List<Integer> relus, List<Shape> reluShapes, int rows, NDManager scope) {
    int n = parents.size();
    Map<Integer, NDArray> slopes = new HashMap<>();
    Map<Integer, NDArray> betas = new HashMap<>();
    for (int r = 0; r < relus.size(); r++) {
      int units = parents.getFirst().lower()[r].length;
      Shape shape = new Shape(n, rows).addAll(reluShapes.get(r));
      float[] a = new float[n * rows * units];
      float[] b = new float[n * rows * units];
      boolean anySlopes = false;
      boolean anyBetas = false;
      for (int i = 0; i < n; i++) {
        Subproblem p = parents.get(i);
        if (p.slopes()[r] != null) {
          scatter(p.slopes()[r], a, i, rows, units, unstable(p.lower()[r], p.upper()[r]));
          anySlopes = true;
        }
        if (p.betas()[r] != null) {
          scatter(p.betas()[r], b, i, rows, units, split(p.signs().get(relus.get(r))));
          anyBetas = true;
        }
      }
      if (anySlopes) {
        slopes.put(relus.get(r), scope.create(a, shape));
      }
      if (anyBetas) {
        betas.put(relus.get(r), scope.create(b, shape));
      }
    }
    return new LinearBoundDomain.WarmStart(slopes, betas);
  }

  /** The splits of {@code p} per ReLU position, null where it has none. */
  private static byte[][] signsOf(Subproblem p, List<Integer> relus) {
    byte[][] out = new byte[relus.size()][];
    for (int r = 0; r < relus.size(); r++) {
      byte[] s = p.signs().get(relus.get(r));
      out[r] = s == null ? null : s.clone();
    }
    return out;
  }

  /** The units with {@code lower < 0 < upper}, ascending. */
  private static int[] unstable(double[] lower, double[] upper) {
    return java.util.stream.IntStream.range(0, lower.length)
        .filter(j -> lower[j] < 0 && upper[j] > 0).toArray();
  }

  /** The units split either way in {@code signs} (none when null), ascending. */
  private static int[] split(byte[] signs) {
    return signs == null ? new int[0]
        : java.util.stream.IntStream.range(0, signs.length).filter(j -> signs[j] != 0).toArray();
  }

  /**
   * Example {@code i}'s values at {@code units} of a batch array {@code [n, S, U]} flattened:
   * {@code S} times the chosen units, row by row.
   */
  private static float[] gather(float[] all, int i, int rows, int width, int[] units) {
    float[] out = new float[rows * units.length];
    for (int s = 0; s < rows; s++) {
      int base = (i * rows + s) * width;
      for (int k = 0; k < units.length; k++) {
        out[s * units.length + k] = all[base + units[k]];
      }
    }
    return out;
  }

  /** The inverse of {@link #gather}: {@code values} into example {@code i} of {@code all}. */
  private static void scatter(float[] values, float[] all, int i, int rows, int width,
      int[] units) {
    for (int s = 0; s < rows; s++) {
      int base = (i * rows + s) * width;
      for (int k = 0; k < units.length; k++) {
        all[base + units[k]] = values[s * units.length + k];
      }
    }
  }

  /** The splits of {@code parent} with {@code unit} ({@code {ReLU position, unit}}) split. */
  private static Map<Integer, byte[]> split(Subproblem parent, List<Integer> relus, int[] unit,
      byte sign) {
    Map<Integer, byte[]> signs = new HashMap<>();
    parent.signs().forEach((node, s) -> signs.put(node, s.clone()));
    byte[] s = signs.computeIfAbsent(relus.get(unit[0]),
        k -> new byte[parent.lower()[unit[0]].length]);
    s[unit[1]] = sign;
    return signs;
  }

  /**
   * The {@code count} unsplit units, unstable under the subproblem's bounds, whose upper line's
   * intercept costs the bound most: the largest {@code w t}, {@code t = -l u / (u - l)} the
   * intercept and {@code w} the weight of the upper line in the bound (BaBSR's intercept score,
   * Bunel et al. 2020), or by the intercept alone when no weight is positive; best first, each
   * {@code {ReLU position, unit}}; empty when no unstable unit is left.
   */
  private static List<int[]> branchingUnits(Subproblem p, List<Integer> relus, int count) {
    List<int[]> out = new ArrayList<>();
    for (boolean weighted : new boolean[] {true, false}) {
      PriorityQueue<double[]> best = new PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
      for (int r = 0; r < relus.size(); r++) {
        byte[] signs = p.signs().get(relus.get(r));
        double[] lo = p.lower()[r];
        double[] hi = p.upper()[r];
        for (int j = 0; j < lo.length; j++) {
          if (signs != null && signs[j] != 0 || !(lo[j] < 0 && hi[j] > 0)) {
            continue;
          }
          double score = -lo[j] * hi[j] / (hi[j] - lo[j]);
          if (weighted) {
            score *= p.weights()[r] == null ? 0 : p.weights()[r][j];
          }
          if (score > 0) {
            best.add(new double[] {score, r, j});
            if (best.size() > count) {
              best.poll();
            }
          }
        }
      }
      while (!best.isEmpty()) {
        double[] e = best.poll();
        out.addFirst(new int[] {(int) e[1], (int) e[2]});
      }
      if (!out.isEmpty()) {
        return out;
      }
    }
    return out;
  }
}
