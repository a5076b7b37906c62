package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class CrownIbpTrainingTest extends EngineTest {

  /** beta falls linearly from 1 at eps 0 to 0 at the target and stays 0. */
  @Test
  void betaFollowsTheRamp() {
    assertEquals(1, CrownIbpTraining.beta(0, 0.1), 1e-15);
    assertEquals(0.75, CrownIbpTraining.beta(0.025, 0.1), 1e-15);
    assertEquals(0, CrownIbpTraining.beta(0.1, 0.1), 1e-15);
    assertEquals(0, CrownIbpTraining.beta(0.2, 0.1), 1e-15);
  }

  /**
   * In the ramp the robust loss, a bound on the worst case, exceeds the clean loss, and its
   * gradient reaches every parameter of a CNN with BatchNorm in training mode.
   */
  @Test
  void rampLossIsAboveCleanAndReachesEveryParameter() {
    manager.getEngine().setRandomSeed(4);
    try (Network net = TinyNetworks.convBn(manager, 2)) {
      net.requireGradients();
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      double loss;
      double clean;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        StepInput step = new StepInput(net, x, y, 0.02, 0.1, 0, BatchStatistics.training(),
            manager);
        StepLoss result = new CrownIbpTraining(1).loss(step, null);
        clean = org.certkit.loss.Losses.crossEntropy(
            ConcreteDomain.forward(net, x, step.stats()), y).getFloat();
        loss = result.loss().getFloat();
        collector.backward(result.loss());
      }
      assertTrue(loss > clean, loss + " vs clean " + clean);
      for (Network.NamedArray p : net.parameters()) {
        NDArray g = p.array().getGradient();
        assertTrue(Float.isFinite(g.sum().getFloat()), p.name());
        assertTrue(g.abs().sum().getFloat() > 0, p.name() + " has no gradient");
      }
    }
  }
}
