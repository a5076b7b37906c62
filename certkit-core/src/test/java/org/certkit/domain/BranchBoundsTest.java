package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

/**
 * Bounds under ReLU case splits ({@link LinearBoundDomain#branchBounds}) against sampling: on
 * the points of the box that satisfy an example's splits (found by evaluating every node), every
 * margin lies above its bound; a split that contradicts a unit's proven sign is infeasible.
 */
class BranchBoundsTest extends EngineTest {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();

  @Test
  void marginBoundsHoldOnThePointsThatSatisfyTheSplits() {
    marginBoundsHold(false, 0.15, 1000);
  }

  /** The same on a convolutional net: splits and multipliers on feature-map units. */
  @Test
  void marginBoundsHoldUnderSplitsOfConvolutionUnits() {
    marginBoundsHold(true, 0.04, 200);
  }

  private void marginBoundsHold(boolean convolutional, double eps, int minimumChecked) {
    for (LinearBoundDomain domain : domains()) {
      try (Network net = convolutional ? TinyNetworks.convBn(manager, 21L)
          : TinyNetworks.fc(manager, 21L)) {
        int n = 12;
        NDArray centre = TinyNetworks.inputs(manager, net, 1);
        NDArray x = centre.repeat(0, n);
        InputSet box = InputSet.LinfBall.pixels(x, eps);
        List<Integer> relus = reluNodes(net);
        NDArray points = TinyNetworks.ballPoints(centre, eps, 20000, 9);
        Map<Integer, Shape> shapes = new HashMap<>();
        Map<Integer, double[]> pre = preActivations(net, points, relus, shapes);
        int count = (int) points.getShape().get(0);
        // Each example splits half of the units, the way a random point of the box has them.
        Random random = new Random(5);
        int[] anchor = new int[n];
        for (int e = 0; e < n; e++) {
          anchor[e] = random.nextInt(count);
        }
        Map<Integer, NDArray> signs = new HashMap<>();
        for (int relu : relus) {
          double[] z = pre.get(relu);
          int units = z.length / count;
          byte[] s = new byte[n * units];
          for (int e = 0; e < n; e++) {
            for (int j = 0; j < units; j++) {
              double v = z[anchor[e] * units + j];
              s[e * units + j] = random.nextBoolean() ? 0 : (byte) (v >= 0 ? 1 : -1);
            }
          }
          signs.put(relu, manager.create(s, new Shape(n).addAll(shapes.get(relu))));
        }
        int label = 0;
        long[] labels = new long[n];
        java.util.Arrays.fill(labels, label);
        LinearBoundDomain.BranchBounds bounds = domain.branchBounds(net, box,
            new Specification.Margins(manager.create(labels)), EVAL, new ReluSplits(signs));
        double[] lower = bounds.lower().toDoubleArray();
        boolean[] infeasible = bounds.infeasible().toBooleanArray();
        int classes = net.numClasses();
        double[] y = org.certkit.domain.ConcreteDomain.forward(net, points, EVAL)
            .toDoubleArray();
        int checked = 0;
        for (int e = 0; e < n; e++) {
          for (int p = 0; p < y.length / classes; p++) {
            if (!satisfies(pre, signs, relus, e, p)) {
              continue;
            }
            assertFalse(infeasible[e], "example " + e + " called infeasible, point " + p
                + " satisfies its splits");
            checked++;
            for (int k = 0; k < classes; k++) {
              double margin = y[p * classes + label] - y[p * classes + k];
              assertTrue(lower[e * classes + k] <= margin, "example " + e + " row " + k
                  + ": bound " + lower[e * classes + k] + " above the margin " + margin);
            }
          }
        }
        assertTrue(checked > minimumChecked, "too few points satisfy the splits: " + checked);
      }
    }
  }

  @Test
  void aSplitAgainstAProvenSignIsInfeasible() {
    LinearBoundDomain domain = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD);
    try (Network net = TinyNetworks.fc(manager, 22L)) {
      NDArray x = TinyNetworks.inputs(manager, net, 1);
      InputSet box = InputSet.LinfBall.pixels(x, 0.01);
      int relu = reluNodes(net).getFirst();
      Box pre = domain.layerBounds(net, box, EVAL).reluInputs().getFirst();
      double[] lo = pre.lower().toDoubleArray();
      double[] hi = pre.upper().toDoubleArray();
      int positive = -1;
      int negative = -1;
      for (int j = 0; j < lo.length; j++) {
        positive = lo[j] > 0 && positive < 0 ? j : positive;
        negative = hi[j] < 0 && negative < 0 ? j : negative;
      }
      assertTrue(positive >= 0 && negative >= 0, "the net needs a unit of each sign");
      // Example 0: the positive unit split at most 0; 1: the negative unit at least 0; 2: both
      // split the way they are.
      byte[] s = new byte[3 * lo.length];
      s[positive] = -1;
      s[lo.length + negative] = 1;
      s[2 * lo.length + positive] = 1;
      s[2 * lo.length + negative] = -1;
      Map<Integer, NDArray> signs = Map.of(relu, manager.create(s, new Shape(3, lo.length)));
      LinearBoundDomain.BranchBounds bounds = domain.branchBounds(net,
          InputSet.LinfBall.pixels(x.repeat(0, 3), 0.01),
          new Specification.Margins(manager.create(new long[] {0, 0, 0})), EVAL,
          new ReluSplits(signs));
      boolean[] infeasible = bounds.infeasible().toBooleanArray();
      assertTrue(infeasible[0] && infeasible[1], "contradicting splits not found infeasible");
      assertFalse(infeasible[2], "splits that agree with the signs called infeasible");
    }
  }

  /**
   * A warm start is where the slopes and multipliers start: one iteration from those of a
   * 20-iteration run gives that run's bounds again (the same slopes, bounded soundly the same
   * way), while one iteration from CROWN's slopes stays below them.
   */
  @Test
  void oneIterationFromAnOptimisedStartKeepsItsBounds() {
    try (Network net = TinyNetworks.fc(manager, 21L)) {
      int n = 4;
      // A fixed centre: the engine's random stream depends on the tests run before this one.
      NDArray centre = manager.create(new double[] {0.3, 0.7, 0.45, 0.6}, new Shape(1, 1, 2, 2));
      InputSet box = InputSet.LinfBall.pixels(centre.repeat(0, n), 0.15);
      LinearBoundDomain crown = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
          IntervalDomain.Rounding.OUTWARD);
      // Example e splits unit e of the first ReLU the way the centre has it.
      int relu = reluNodes(net).getFirst();
      Box pre = crown.layerBounds(net, InputSet.LinfBall.pixels(centre, 0), EVAL).reluInputs()
          .getFirst();
      double[] z = pre.lower().toDoubleArray();
      byte[] s = new byte[n * z.length];
      for (int e = 0; e < n; e++) {
        s[e * z.length + e] = (byte) (z[e] >= 0 ? 1 : -1);
      }
      ReluSplits splits = new ReluSplits(Map.of(relu, manager.create(s, new Shape(n,
          z.length))));
      List<Box> given = crown.layerBounds(net, box, EVAL).reluInputs();
      double[] lo = given.getLast().lower().toDoubleArray();
      double[] hi = given.getLast().upper().toDoubleArray();
      assertTrue(java.util.stream.IntStream.range(0, lo.length)
          .anyMatch(j -> lo[j] < 0 && hi[j] > 0), "no unstable unit: slopes would not matter");
      Specification spec = new Specification.Margins(manager.create(new long[n]));
      LinearBoundDomain twenty = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
          IntervalDomain.Rounding.OUTWARD, new LinearBoundDomain.SlopeOptimisation(20, 0.1,
              0.98, 20, false));
      LinearBoundDomain one = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
          IntervalDomain.Rounding.OUTWARD, new LinearBoundDomain.SlopeOptimisation(1, 0.1,
              0.98, 1, false));
      LinearBoundDomain.BranchBounds optimised = twenty.branchBounds(net, box, spec, EVAL,
          splits, given, null);
      assertFalse(optimised.optimised().betas().isEmpty(), "the splits have multipliers");
      double[] best = optimised.lower().toDoubleArray();
      double[] warm = one.branchBounds(net, box, spec, EVAL, splits, given,
          optimised.optimised()).lower().toDoubleArray();
      double[] cold = one.branchBounds(net, box, spec, EVAL, splits, given, null).lower()
          .toDoubleArray();
      double gained = 0;
      for (int i = 0; i < best.length; i++) {
        assertTrue(warm[i] >= best[i] - 1e-12, "row " + i + ": warm " + warm[i] + " below "
            + best[i]);
        gained += best[i] - cold[i];
      }
      assertTrue(gained > 1e-3, "20 iterations should beat one from CROWN's slopes: " + gained);
    }
  }

  private static List<LinearBoundDomain> domains() {
    return List.of(
        new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD),
        new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD, new LinearBoundDomain.SlopeOptimisation(20, 0.1,
                0.98, 20)));
  }

  private static List<Integer> reluNodes(Network net) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < net.layers().size(); i++) {
      if (net.layers().get(i) instanceof Relu) {
        out.add(i);
      }
    }
    return out;
  }

  /** Per ReLU node, the values of its input for every point, flattened point-major. */
  /** The ReLU inputs at {@code points}, flattened; {@code shapes} gets their unit shapes. */
  private static Map<Integer, double[]> preActivations(Network net, NDArray points,
      List<Integer> relus, Map<Integer, Shape> shapes) {
    Map<Integer, double[]> out = new HashMap<>();
    net.evaluate(points, (i, layer, inputs) -> {
      if (relus.contains(i)) {
        out.put(i, inputs.getFirst().toType(DataType.FLOAT64, false).toDoubleArray());
        shapes.put(i, inputs.getFirst().getShape().slice(1));
      }
      return ConcreteDomain.apply(layer, i, inputs, EVAL);
    });
    return out;
  }

  private static boolean satisfies(Map<Integer, double[]> pre, Map<Integer, NDArray> signs,
      List<Integer> relus, int example, int point) {
    for (int relu : relus) {
      double[] z = pre.get(relu);
      NDArray s = signs.get(relu);
      int units = (int) (s.getShape().size() / s.getShape().get(0));
      byte[] sign = s.get(new NDIndex("{}", example)).toByteArray();
      for (int j = 0; j < units; j++) {
        double v = z[point * units + j];
        if (sign[j] > 0 && v < 0 || sign[j] < 0 && v > 0) {
          return false;
        }
      }
    }
    return true;
  }
}
