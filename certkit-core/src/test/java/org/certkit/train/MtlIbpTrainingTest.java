package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.ConcreteDomain;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class MtlIbpTrainingTest extends EngineTest {

  private static final PgdAttack ATTACK = new PgdAttack(5, 0.25, 1, true);

  /**
   * The robust loss is the convex combination alpha IBP + (1 - alpha) adversarial: alpha = 1 is
   * IBP training (regulariser included), and at every alpha the loss is the combination of IBP
   * training's loss and the cross-entropy at the attack's point, mixed with the clean loss.
   */
  @Test
  void lossIsTheConvexCombinationOfIbpAndAdversarialLosses() {
    manager.getEngine().setRandomSeed(8);
    try (Network net = TinyNetworks.convBn(manager, 8)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      double eps = 0.05;
      StepInput step = new StepInput(net, x, y, eps, eps, 0, BatchStatistics.training(), manager);
      double clean = Losses.crossEntropy(ConcreteDomain.forward(net, x, step.stats()), y)
          .getFloat();
      double ibp = new IbpTraining(1, 0).loss(step, null).loss().getFloat();
      assertEquals(ibp, new MtlIbpTraining(1, ATTACK, 1, 0).loss(step, null).loss().getFloat(),
          1e-5 * ibp);
      NDArray point = new MtlIbpTraining(0.5, ATTACK, 1, 0).prepare(step).get(0);
      double adversarial = Losses.crossEntropy(ConcreteDomain.forward(net, point, step.stats()),
          y).getFloat();
      for (double alpha : new double[] {0, 0.3, 0.8}) {
        for (double weight : new double[] {1, 0.7}) {
          double expected = (1 - weight) * clean
              + weight * (alpha * ibp + (1 - alpha) * adversarial);
          double got = new MtlIbpTraining(alpha, ATTACK, weight, 0)
              .loss(step, new NDList(point)).loss().getFloat();
          assertEquals(expected, got, 1e-5 * expected, "alpha " + alpha + ", weight " + weight);
        }
      }
    }
  }

  /** In the ramp, alpha = 1 matches IBP training with its warm-up regulariser. */
  @Test
  void alphaOneMatchesIbpTrainingInTheRamp() {
    manager.getEngine().setRandomSeed(9);
    try (Network net = TinyNetworks.convBn(manager, 9)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      for (double eps : new double[] {0, 0.02}) {
        StepInput step = new StepInput(net, x, y, eps, 0.1, 0, BatchStatistics.training(),
            manager);
        MtlIbpTraining mtl = new MtlIbpTraining(1, ATTACK, 0.7, 0.5);
        double got = mtl.loss(step, mtl.prepare(step)).loss().getFloat();
        double ibp = new IbpTraining(0.7, 0.5).loss(step, null).loss().getFloat();
        assertEquals(ibp, got, 1e-5 * ibp, "eps " + eps);
      }
    }
  }
}
