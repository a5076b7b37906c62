package org.certkit.milp;

import static org.certkit.milp.MilpFixtures.assertContains;
import static org.certkit.milp.MilpFixtures.cornersAndSamples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MilpBoundsTest extends EngineTest {

  private static final IntervalDomain SOUND = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);
  private static final MilpBounds MILP = new MilpBounds(MilpOptions.withTimeLimit(20));

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(7);
  }

  /**
   * On 4-pixel fc nets the MILP bounds are exact, lie inside the IBP box, contain all 16 corners
   * and 4000 samples, are attained by the solver's point, and are strictly tighter than IBP.
   */
  @Test
  void fullyConnectedBoundsAreExactAndInsideIntervalBounds() {
    double tightened = 0;
    for (long seed = 0; seed < 5; seed++) {
      try (Network net = TinyNetworks.fc(manager, seed)) {
        Box box = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.15);
        OutputBounds bounds = MILP.outputBounds(net, box);
        assertTrue(bounds.allOptimal(), "a bound of a 4-8-8-3 net was not solved to optimality");
        tightened += assertInsideInterval(bounds, SOUND.propagate(net, box,
            BatchStatistics.evaluation()));
        assertContains(bounds, ConcreteDomain.forward(net, cornersAndSamples(box, 4000, seed),
            BatchStatistics.evaluation()));
        assertAttained(bounds);
      }
    }
    assertTrue(tightened > 0.1, "MILP never tightened IBP: total gain " + tightened);
  }

  /**
   * With one input the true range is the extreme of the piecewise-linear function over its kinks
   * and end points; the MILP bounds match it within 1e-6 (plus the documented widening).
   */
  @Test
  void oneDimensionalNetworkBoundsMatchEnumeration() {
    for (long seed = 0; seed < 6; seed++) {
      try (Network net = MilpFixtures.oneDimensional(manager, seed, 6)) {
        double lo = -2;
        double hi = 1.5;
        Box box = Box.fromBounds(manager.create(new double[] {lo}, new Shape(1, 1)),
            manager.create(new double[] {hi}, new Shape(1, 1)));
        OutputBounds bounds = MILP.outputBounds(net, box);
        assertTrue(bounds.allOptimal());
        double[] points = MilpFixtures.gridAndKinks(net, lo, hi, 100_000);
        double[] y = ConcreteDomain.forward(net, manager.create(points, new Shape(points.length,
            1)), BatchStatistics.evaluation()).toDoubleArray();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : y) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        assertMatches(min, bounds.lower().getFirst(), MilpBound.Side.LOWER);
        assertMatches(max, bounds.upper().getFirst(), MilpBound.Side.UPPER);
      }
    }
  }

  /**
   * A small conv net with eval-mode BatchNorm (random running statistics): exact bounds inside
   * IBP that contain PGD points, samples, and whose margin bound lies below every PGD margin.
   */
  @Test
  void convNetWithBatchNormContainsPgdPointsAndSamples() {
    try (Network net = TinyNetworks.convBn(manager, 3)) {
      MilpFixtures.randomiseBatchNorm(net, 3);
      NDArray x = TinyNetworks.inputs(manager, net, 1);
      double eps = 0.02;
      Box box = Box.linfBall(x, eps);
      OutputBounds bounds = MILP.outputBounds(net, box);
      assertTrue(bounds.allOptimal());
      assertTrue(bounds.unstableRelus() > 0, "no unstable ReLU: the test would not test much");
      assertInsideInterval(bounds, SOUND.propagate(net, box, BatchStatistics.evaluation()));
      assertAttained(bounds);
      int classes = net.numClasses();
      NDArray repeated = x.repeat(0, classes);
      NDArray labels = manager.arange(0, classes, 1, DataType.INT64);
      NDArray adversarial = new PgdAttack(30, 0.1, 2, true).attack(net, repeated, labels, eps,
          BatchStatistics.evaluation());
      NDArray pgdOutputs = ConcreteDomain.forward(net, adversarial, BatchStatistics.evaluation());
      assertContains(bounds, pgdOutputs);
      assertContains(bounds, ConcreteDomain.forward(net, cornersAndSamples(box, 2000, 1),
          BatchStatistics.evaluation()));

      int target = (int) ConcreteDomain.forward(net, x, BatchStatistics.evaluation()).argMax(1)
          .getLong(0);
      int other = (target + 1) % classes;
      MilpBound margin = MILP.bound(net, box, MilpBounds.margin(classes, target, other),
          MilpBound.Side.LOWER);
      assertInstanceOf(MilpBound.Optimal.class, margin);
      double[] y = pgdOutputs.toDoubleArray();
      for (int i = 0; i < classes; i++) {
        double m = y[i * classes + target] - y[i * classes + other];
        assertTrue(m >= margin.value(), "PGD margin " + m + " below MILP bound " + margin.value());
      }
      // Bounding the margin jointly is never looser than subtracting the output bounds.
      double separate = bounds.lower().get(target).value() - bounds.upper().get(other).value();
      assertTrue(margin.value() >= separate - 1e-6, margin.value() + " < " + separate);
      double intervalMargin = SOUND.marginLowerBounds(net, box, manager.create(new long[] {target}),
          BatchStatistics.evaluation()).getDouble(0, other);
      assertTrue(margin.value() >= intervalMargin - 1e-6, margin.value() + " < " + intervalMargin);
    }
  }

  /**
   * float64 parameters, as ONNX models may bring, give the same bounds as the float32 parameters
   * they were widened from (conv, BatchNorm and dense layers).
   */
  @Test
  void float64ParametersGiveTheSameBounds() {
    try (Network net = TinyNetworks.convBn(manager, 5)) {
      MilpFixtures.randomiseBatchNorm(net, 5);
      List<Layer> widened = new ArrayList<>();
      for (Layer layer : net.layers()) {
        widened.add(switch (layer) {
          case Linear l -> new Linear(wide(l.weight()), wide(l.bias()));
          case Conv2d c -> new Conv2d(wide(c.weight()), wide(c.bias()), c.stride(), c.padding());
          case BatchNorm b -> new BatchNorm(wide(b.gamma()), wide(b.beta()),
              wide(b.runningMean()), wide(b.runningVar()), b.epsilon(), b.momentum());
          case Relu r -> r;
          case Flatten f -> f;
          case Normalize n -> n;
          case org.certkit.net.Add a -> a;
          case org.certkit.net.AvgPool p -> p;
          case org.certkit.net.MaxPool p -> p;
          case org.certkit.net.Sigmoid sg -> sg;
          case org.certkit.net.Tanh t -> t;
        });
      }
      Network wide = new Network(net.architecture(), net.inputShape(), widened, net.manager());
      Box box = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.02);
      OutputBounds narrow = MILP.outputBounds(net, box);
      OutputBounds widenedBounds = MILP.outputBounds(wide, box);
      assertEquals(DataType.FLOAT64, ((Linear) wide.layers().getLast()).weight().getDataType());
      for (int k = 0; k < net.numClasses(); k++) {
        assertEquals(narrow.lower().get(k).value(), widenedBounds.lower().get(k).value(), 1e-9);
        assertEquals(narrow.upper().get(k).value(), widenedBounds.upper().get(k).value(), 1e-9);
      }
    }
  }

  private static NDArray wide(NDArray array) {
    return array.toType(DataType.FLOAT64, true);
  }

  /**
   * Appendix E of "Expected tight bounds", literally: {@code A1 = 1000 ones(n, n)}. Then every
   * hidden unit is {@code relu(1000 sum(x) - 999)}, so the true range over {@code [-1, 1]^n} is
   * {@code [-10 n (1000 n - 999), 0]}, and IBP, whose pre-activation box is
   * {@code [-1000 n - 999, 1000 n - 999]}, is exact: both equal the true range. (The appendix's
   * algebra, {@code l, u = -1999, 1}, uses {@code |A1| 1 = 1000}, i.e. {@code A1 = 1000 I}: see
   * the next test.)
   */
  @Test
  void appendixExampleWithAllOnesMatrix() {
    for (int n : new int[] {3, 5}) {
      try (Network net = MilpFixtures.appendixE(manager, n, false)) {
        assertAppendixRange(net, n, -10.0 * n * (1000 * n - 999));
      }
    }
  }

  /**
   * Appendix E with {@code A1 = 1000 I}, the reading under which its algebra holds: IBP gives
   * {@code [-10 n, 0]} as the paper says, and the MILP finds that this is also the true range.
   */
  @Test
  void appendixExampleWithScaledIdentity() {
    for (int n : new int[] {3, 5}) {
      try (Network net = MilpFixtures.appendixE(manager, n, true)) {
        assertAppendixRange(net, n, -10.0 * n);
      }
    }
  }

  /** CBC agrees with SCIP. */
  @Test
  void cbcAgreesWithScip() {
    MilpBounds cbc = new MilpBounds(MilpOptions.withTimeLimit(20)
        .withSolver(MilpOptions.Solver.CBC));
    try (Network net = TinyNetworks.fc(manager, 4)) {
      Box box = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.2);
      OutputBounds scip = MILP.outputBounds(net, box);
      OutputBounds other = cbc.outputBounds(net, box);
      assertTrue(other.allOptimal());
      for (int k = 0; k < net.numClasses(); k++) {
        assertEquals(scip.lower().get(k).value(), other.lower().get(k).value(), 1e-5);
        assertEquals(scip.upper().get(k).value(), other.upper().get(k).value(), 1e-5);
      }
    }
  }

  /** Misuse fails when built or called, naming the problem. */
  @Test
  void rejectsImpossibleOptionsAndInputs() {
    assertThrows(IllegalArgumentException.class, () -> MilpOptions.withTimeLimit(0));
    assertThrows(IllegalArgumentException.class,
        () -> new MilpOptions(MilpOptions.Solver.SCIP, 1, -1e-6, 0));
    assertThrows(IllegalArgumentException.class, () -> MilpBounds.margin(3, 1, 1));
    try (Network net = TinyNetworks.fc(manager, 0)) {
      Box two = Box.linfBall(TinyNetworks.inputs(manager, net, 2), 0.1);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> MILP.outputBounds(net, two));
      assertTrue(e.getMessage().contains("batch axis of 1"), e.getMessage());
      Box one = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.1);
      assertThrows(IllegalArgumentException.class,
          () -> MILP.bound(net, one, new double[] {1, 0}, MilpBound.Side.UPPER));
    }
  }

  private void assertAppendixRange(Network net, int n, double trueMinimum) {
    NDArray ones = manager.ones(new Shape(1, n), DataType.FLOAT64);
    Box box = Box.fromBounds(ones.neg(), ones);
    Box nearest = new IntervalDomain(IntervalDomain.Rounding.NEAREST).propagate(net, box,
        BatchStatistics.evaluation());
    assertEquals(trueMinimum, nearest.lower().getDouble(0, 0), 0, "IBP lower, n = " + n);
    assertEquals(0, nearest.upper().getDouble(0, 0), 0, "IBP upper, n = " + n);
    Box sound = SOUND.propagate(net, box, BatchStatistics.evaluation());
    assertEquals(trueMinimum, sound.lower().getDouble(0, 0), 1e-9 * Math.abs(trueMinimum));
    OutputBounds bounds = MILP.outputBounds(net, box);
    assertTrue(bounds.allOptimal());
    MilpBound lower = bounds.lower().getFirst();
    MilpBound upper = bounds.upper().getFirst();
    double allowance = MILP.options().allowance(trueMinimum);
    assertTrue(lower.value() <= trueMinimum && lower.value() >= trueMinimum - allowance - 1e-6,
        "MILP lower " + lower.value() + ", true " + trueMinimum + ", n = " + n);
    assertTrue(upper.value() >= 0 && upper.value() <= 1e-6, "MILP upper " + upper.value());
    assertEquals(trueMinimum, lower.incumbent().orElseThrow().value(), 1e-6);
  }

  /**
   * Asserts that every MILP bound lies within the interval bound (up to 1e-6) and returns how much
   * narrower the MILP bounds are in total.
   */
  private static double assertInsideInterval(OutputBounds bounds, Box interval) {
    double[] lo = interval.lower().toDoubleArray();
    double[] hi = interval.upper().toDoubleArray();
    double gain = 0;
    for (int k = 0; k < lo.length; k++) {
      double lower = bounds.lower().get(k).value();
      double upper = bounds.upper().get(k).value();
      assertTrue(lower >= lo[k] - 1e-6, "MILP lower " + lower + " below IBP " + lo[k]);
      assertTrue(upper <= hi[k] + 1e-6, "MILP upper " + upper + " above IBP " + hi[k]);
      assertTrue(lower <= upper);
      gain += (lower - lo[k]) + (hi[k] - upper);
    }
    return gain;
  }

  /** Each exact bound is within its widening of the objective at the solver's own point. */
  private static void assertAttained(OutputBounds bounds) {
    List<MilpBound> all = new ArrayList<>(bounds.lower());
    all.addAll(bounds.upper());
    for (MilpBound b : all) {
      double attained = b.incumbent().orElseThrow().value();
      assertEquals(attained, b.value(), 2e-5 * (1 + Math.abs(attained)),
          "the bound is not attained by the solver's point");
    }
  }

  private static void assertMatches(double truth, MilpBound bound, MilpBound.Side side) {
    double allowance = MILP.options().allowance(truth);
    double gap = side == MilpBound.Side.LOWER ? truth - bound.value() : bound.value() - truth;
    assertTrue(gap >= -1e-9 && gap <= allowance + 1e-6,
        side + " bound " + bound.value() + " vs true " + truth);
    assertEquals(truth, bound.incumbent().orElseThrow().value(), 1e-6);
  }
}
