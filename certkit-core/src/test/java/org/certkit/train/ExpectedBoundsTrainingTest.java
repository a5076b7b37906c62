package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.certkit.domain.ConcreteDomain;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.junit.jupiter.api.Test;

class ExpectedBoundsTrainingTest {

  /**
   * The loss is the clean cross-entropy plus kappa times the cross-entropy of the worst-case
   * expected logits, and its gradient reaches every parameter of a CNN with BatchNorm in
   * training mode.
   */
  @Test
  void lossAddsTheBoundTermAndReachesEveryParameter() {
    try (NDManager manager = NDManager.newBaseManager()) {
      manager.getEngine().setRandomSeed(2);
      try (Network net = TinyNetworks.convBn(manager, 1)) {
        net.requireGradients();
        NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
        NDArray y = manager.arange(0, 8, 1, DataType.INT64).mod(4);
        double clean;
        double withBounds;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          StepInput step = new StepInput(net, x, y, 0.05, 0.05, 0, BatchStatistics.training(),
              manager);
          clean = Losses.crossEntropy(ConcreteDomain.forward(net, x, step.stats()), y)
              .getFloat();
          NDArray loss = new ExpectedBoundsTraining(2.0).loss(step, null).loss();
          withBounds = loss.getFloat();
          collector.backward(loss);
        }
        assertTrue(withBounds > clean, withBounds + " vs clean " + clean);
        for (Network.NamedArray p : net.parameters()) {
          NDArray g = p.array().getGradient();
          assertTrue(Float.isFinite(g.sum().getFloat()), p.name());
          assertTrue(g.abs().sum().getFloat() > 0, p.name() + " has no gradient");
        }
        StepInput plain = new StepInput(net, x, y, 0.05, 0.05, 0, BatchStatistics.training(),
            manager);
        assertEquals(clean, new ExpectedBoundsTraining(0).loss(plain, null).loss().getFloat(),
            1e-6);
      }
    }
  }
}
