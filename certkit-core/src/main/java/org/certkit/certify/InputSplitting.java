package org.certkit.certify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * Branch and bound on the input box, for networks with few inputs (ACAS Xu has 5), where
 * splitting inputs beats splitting ReLUs: a box is done when a sound domain proves some row of
 * the specification positive on it; an open box is halved along the input whose width, relative
 * to the whole box's, is largest (each half closed, so the halves cover it). Every box gets its
 * own pre-activation bounds, which tighten as boxes shrink. Boxes with the lowest bound go first,
 * {@code batch} of them bounded together. "Proven" rests on sound bounds only: the proof is the
 * set of leaf boxes, each bounded by the domain.
 *
 * @param domain the sound domain of every box
 * @param batch boxes bounded per call, at least 2
 * @param maxOpen the most open boxes kept (memory); beyond it the search gives up
 */
public record InputSplitting(LinearBoundDomain domain, int batch, int maxOpen) {

  /** Inputs up to which {@link #worthIt} says input splitting is the search to use. */
  public static final int MAX_INPUTS = 16;

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();

  /** Validates the arguments. */
  public InputSplitting {
    if (!domain.sound()) {
      throw new IllegalArgumentException("input splitting needs a sound domain");
    }
    if (batch < 2 || maxOpen < 1) {
      throw new IllegalArgumentException("need batch >= 2 and maxOpen >= 1, got " + batch
          + " and " + maxOpen);
    }
  }

  /** CROWN with CROWN pre-activation bounds, outward rounding; 512 boxes per call. */
  public static InputSplitting standard() {
    return new InputSplitting(new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD), 512, 1_000_000);
  }

  /** Whether a network with {@code inputs} inputs is searched better by input splitting. */
  public static boolean worthIt(long inputs) {
    return inputs <= MAX_INPUTS;
  }

  /** An open box and its best row's bound. */
  private record Cell(double[] lower, double[] upper, double bound) { }

  /**
   * Tries to prove that on every point of the box some row of {@code spec} is positive.
   *
   * @param lower the box's lower corner {@code [1, ...input]}, float64; not modified
   * @param upper its upper corner
   * @param spec the rows, {@code C [1, S, K]} and {@code d [1, S]}
   * @param timeout the time this search may take
   * @param listener receives progress after every call of the domain, or null
   */
  public BranchAndBound.Outcome prove(Network network, NDArray lower, NDArray upper,
      Specification.LinearConstraints spec, Duration timeout, BranchAndBound.Listener listener) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    double[] rootLower = lower.toType(DataType.FLOAT64, false).toDoubleArray();
    double[] rootUpper = upper.toType(DataType.FLOAT64, false).toDoubleArray();
    Shape inputShape = lower.getShape().slice(1);
    PriorityQueue<Cell> open = new PriorityQueue<>((a, b) -> Double.compare(a.bound(),
        b.bound()));
    List<double[][]> pending = new ArrayList<>();
    pending.add(new double[][] {rootLower, rootUpper});
    long bounded = 0;
    while (true) {
      double[] bounds = bound(network, lower.getManager(), inputShape, spec, pending);
      bounded += pending.size();
      for (int i = 0; i < pending.size(); i++) {
        if (!(bounds[i] > 0)) {
          open.add(new Cell(pending.get(i)[0], pending.get(i)[1], bounds[i]));
        }
      }
      double worst = open.isEmpty() ? Double.POSITIVE_INFINITY : open.peek().bound();
      long now = System.nanoTime();
      if (listener != null) {
        listener.progress(new BranchAndBound.Progress(open.size(), bounded, worst,
            Duration.ofNanos(now - start)));
      }
      if (open.isEmpty()) {
        return new BranchAndBound.Outcome.Proven(bounded);
      }
      if (now > deadline) {
        return new BranchAndBound.Outcome.Undecided("time limit of " + timeout.toSeconds()
            + " s", worst, true, bounded);
      }
      if (open.size() > maxOpen) {
        return new BranchAndBound.Outcome.Undecided(open.size() + " open boxes, more than "
            + maxOpen, worst, false, bounded);
      }
      List<double[][]> next = new ArrayList<>();
      while (next.size() + 2 <= batch && !open.isEmpty()) {
        Cell cell = open.poll();
        int axis = widest(cell, rootLower, rootUpper);
        double mid = cell.lower()[axis] + (cell.upper()[axis] - cell.lower()[axis]) / 2;
        if (!(mid > cell.lower()[axis] && mid < cell.upper()[axis])) {
          return new BranchAndBound.Outcome.Undecided("a box too small to halve is not proven"
              + " (bound " + cell.bound() + ")", cell.bound(), false, bounded);
        }
        double[] leftUpper = cell.upper().clone();
        leftUpper[axis] = mid;
        double[] rightLower = cell.lower().clone();
        rightLower[axis] = mid;
        next.add(new double[][] {cell.lower(), leftUpper});
        next.add(new double[][] {rightLower, cell.upper()});
      }
      pending = next;
    }
  }

  /** The input along which {@code cell} is widest relative to the root box. */
  private static int widest(Cell cell, double[] rootLower, double[] rootUpper) {
    int best = 0;
    double bestShare = -1;
    for (int j = 0; j < rootLower.length; j++) {
      double whole = rootUpper[j] - rootLower[j];
      double share = whole > 0 ? (cell.upper()[j] - cell.lower()[j]) / whole : 0;
      if (share > bestShare) {
        best = j;
        bestShare = share;
      }
    }
    return best;
  }

  /** Each box's best row bound (the largest lower bound of its rows), in one domain call. */
  private double[] bound(Network network, NDManager caller, Shape inputShape,
      Specification.LinearConstraints spec, List<double[][]> boxes) {
    int n = boxes.size();
    int size = (int) inputShape.size();
    double[] lo = new double[n * size];
    double[] hi = new double[n * size];
    for (int i = 0; i < n; i++) {
      System.arraycopy(boxes.get(i)[0], 0, lo, i * size, size);
      System.arraycopy(boxes.get(i)[1], 0, hi, i * size, size);
    }
    try (NDManager scope = caller.newSubManager()) {
      Shape shape = new Shape(n).addAll(inputShape);
      double[] rows = domain.lowerBounds(network, new InputSet.BoxRegion(
              scope.create(lo, shape), scope.create(hi, shape)), spec.repeated(n, scope), EVAL)
          .toType(DataType.FLOAT64, false).toDoubleArray();
      int s = rows.length / n;
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        double best = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < s; j++) {
          double v = rows[i * s + j];
          best = Double.isNaN(v) ? best : Math.max(best, v);
        }
        out[i] = best;
      }
      return out;
    }
  }
}
