package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExpectedBoundsDomainTest extends EngineTest {

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(11);
  }

  /**
   * Appendix E of the paper: A1 = 1000 ones(n x n), b1 = -999, a2 = -10, b2 = 0 on [-1, 1]^n.
   * Every unit's IBP upper bound is positive, so M = I and the expected bounds centred at the
   * masked affine map are 9990 n -/+ 10000 n^2, while IBP gives [-10 n (1000 n - 999), 0]. For
   * n = 1 these are the paper's numbers [-10, 19990] and [-10, 0]; for n > 1 the paper's algebra
   * writes 10000 n where |a2^T A1| 1_n is 10000 n^2. Centred at the clean output f(0) = 0 they
   * are -/+ 10000 n^2.
   */
  @Test
  void reproducesTheFailureExampleOfAppendixE() {
    for (int n : new int[] {1, 3}) {
      NDManager netManager = manager.newSubManager();
      List<Layer> layers = List.of(new Flatten(),
          new Linear(netManager.full(new Shape(n, n), 1000f), netManager.full(new Shape(n), -999f)),
          new Relu(),
          new Linear(netManager.full(new Shape(1, n), -10f), netManager.zeros(new Shape(1))));
      try (Network net = new Network("appendix-e", new Shape(1, 1, n), layers, netManager)) {
        Box input = new Box(manager.zeros(new Shape(1, 1, 1, n), DataType.FLOAT64),
            manager.ones(new Shape(1, 1, 1, n), DataType.FLOAT64));
        for (ExpectedBoundsDomain.MaskRule rule : ExpectedBoundsDomain.MaskRule.values()) {
          Box expected = new ExpectedBoundsDomain(rule,
              ExpectedBoundsDomain.Centre.MASKED_AFFINE).propagate(net, input);
          assertEquals(9990.0 * n - 10000.0 * n * n, expected.lower().getDouble(), 1e-9);
          assertEquals(9990.0 * n + 10000.0 * n * n, expected.upper().getDouble(), 1e-9);
          Box clean = new ExpectedBoundsDomain(rule, ExpectedBoundsDomain.Centre.CLEAN_OUTPUT)
              .propagate(net, input);
          assertEquals(-10000.0 * n * n, clean.lower().getDouble(), 1e-9);
          assertEquals(10000.0 * n * n, clean.upper().getDouble(), 1e-9);
        }
        Box ibp = new IntervalDomain(IntervalDomain.Rounding.NEAREST).propagate(net, input,
            BatchStatistics.evaluation());
        assertEquals(-10.0 * n * (1000.0 * n - 999), ibp.lower().getDouble(), 1e-9);
        assertEquals(0.0, ibp.upper().getDouble(), 1e-9);
      }
    }
  }

  /**
   * When no unit can be inactive the network is affine on the box, and the expected bounds are
   * its exact image: centre W c + b and radius |W2 W1| r from explicit matrices.
   */
  @Test
  void affineRegionGivesTheExactBoxOfTheAffineMap() {
    NDManager netManager = manager.newSubManager();
    NDArray w1 = netManager.randomNormal(new Shape(6, 4));
    NDArray w2 = netManager.randomNormal(new Shape(3, 6));
    List<Layer> layers = List.of(new Flatten(),
        new Linear(w1, netManager.full(new Shape(6), 50f)), new Relu(),
        new Linear(w2, netManager.zeros(new Shape(3))));
    try (Network net = new Network("affine", new Shape(1, 2, 2), layers, netManager)) {
      NDArray x = manager.randomUniform(0, 1, new Shape(2, 1, 2, 2), DataType.FLOAT64);
      Box input = Box.linfBall(x, 0.05);
      NDArray product = w2.toType(DataType.FLOAT64, false)
          .matMul(w1.toType(DataType.FLOAT64, false));
      NDArray flat = input.radius().reshape(2, 4);
      NDArray exactRadius = flat.matMul(product.abs().transpose());
      NDArray concrete = ConcreteDomain.forward(net, input.centre(),
          BatchStatistics.evaluation());
      for (ExpectedBoundsDomain.MaskRule rule : ExpectedBoundsDomain.MaskRule.values()) {
        for (ExpectedBoundsDomain.Centre centre : ExpectedBoundsDomain.Centre.values()) {
          Box out = new ExpectedBoundsDomain(rule, centre).propagate(net, input);
          assertEquals(0, out.radius().sub(exactRadius).abs().max().getDouble(), 1e-9);
          assertEquals(0, out.centre().sub(concrete).abs().max().getDouble(), 1e-9);
        }
      }
    }
  }

  /**
   * On a random Gaussian Affine-ReLU-Affine block with many hidden units, the expected bounds
   * are far narrower than IBP's (Theorem 2 of the paper): here more than 10 times at k = 1000.
   */
  @Test
  void muchNarrowerThanIntervalBoundsOnWideGaussianBlocks() {
    NDManager netManager = manager.newSubManager();
    int n = 50;
    int k = 1000;
    List<Layer> layers = List.of(new Flatten(),
        new Linear(netManager.randomNormal(new Shape(k, n)), netManager.randomNormal(new Shape(k))),
        new Relu(),
        new Linear(netManager.randomNormal(new Shape(1, k)), netManager.zeros(new Shape(1))));
    try (Network net = new Network("block", new Shape(1, 1, n), layers, netManager)) {
      NDArray x = manager.randomUniform(0, 1, new Shape(4, 1, 1, n), DataType.FLOAT64);
      Box input = Box.linfBall(x, 0.1);
      Box expected = new ExpectedBoundsDomain(ExpectedBoundsDomain.MaskRule.RECURSIVE,
          ExpectedBoundsDomain.Centre.CLEAN_OUTPUT).propagate(net, input);
      Box ibp = new IntervalDomain(IntervalDomain.Rounding.NEAREST).propagate(net, input,
          BatchStatistics.evaluation());
      double ratio = ibp.radius().div(expected.radius()).min().getDouble();
      assertTrue(ratio > 10, "IBP / expected width ratio " + ratio);
    }
  }

  /**
   * A unit that is negative at the centre but may turn on in the box is kept by the mask: the
   * masked affine map passes its negative value on, the clean output does not. With
   * y = relu(x - 0.05) on [-0.1, 0.1]: the mask keeps the unit (upper bound 0.05), the radius is
   * 0.1, the affine centre is -0.05 and the clean centre relu(-0.05) = 0.
   */
  @Test
  void centresDifferWhereAKeptUnitIsNegativeAtTheCentre() {
    NDManager netManager = manager.newSubManager();
    List<Layer> layers = List.of(new Flatten(),
        new Linear(netManager.ones(new Shape(1, 1)), netManager.full(new Shape(1), -0.05f)),
        new Relu(), new Linear(netManager.ones(new Shape(1, 1)), netManager.zeros(new Shape(1))));
    try (Network net = new Network("kept-negative", new Shape(1, 1, 1), layers, netManager)) {
      Box input = new Box(manager.zeros(new Shape(1, 1, 1, 1), DataType.FLOAT64),
          manager.full(new Shape(1, 1, 1, 1), 0.1f).toType(DataType.FLOAT64, false));
      double[] centres = {0, -0.05};
      for (ExpectedBoundsDomain.Centre centre : ExpectedBoundsDomain.Centre.values()) {
        Box out = new ExpectedBoundsDomain(ExpectedBoundsDomain.MaskRule.RECURSIVE, centre)
            .propagate(net, input);
        assertEquals(centres[centre.ordinal()], out.centre().getDouble(), 1e-7);
        assertEquals(0.1, out.radius().getDouble(), 1e-7);
      }
    }
  }

  /**
   * The backward pass with interval masks equals the forward-Jacobian propagation with interval
   * masks, on a CNN with BatchNorm and on a fully connected network.
   */
  @Test
  void backwardPassEqualsForwardJacobian() {
    for (Network net : List.of(org.certkit.net.TinyNetworks.convBn(manager, 4),
        org.certkit.net.TinyNetworks.fc(manager, 6))) {
      try (net) {
        for (Layer layer : net.layers()) {
          if (layer instanceof org.certkit.net.BatchNorm b) {
            b.runningMean().set(manager.randomNormal(b.runningMean().getShape()).mul(0.1)
                .toFloatArray());
            b.gamma().set(manager.randomUniform(0.5f, 1.5f, b.gamma().getShape())
                .toFloatArray());
          }
        }
        NDArray x = org.certkit.net.TinyNetworks.inputs(manager, net, 3);
        Box input = Box.linfBall(x, 0.05);
        for (ExpectedBoundsDomain.Centre centre : ExpectedBoundsDomain.Centre.values()) {
          Box forward = new ExpectedBoundsDomain(ExpectedBoundsDomain.MaskRule.INTERVAL, centre)
              .propagate(net, input);
          Box backward = ExpectedBoundsDomain.intervalMasked(net, input,
              BatchStatistics.evaluation(), centre);
          assertEquals(0, forward.centre().sub(backward.centre()).abs().max().getDouble(),
              1e-9);
          assertEquals(0, forward.radius().sub(backward.radius()).abs().max().getDouble(),
              1e-9);
        }
      }
    }
  }
}
