package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.ConcreteDomain;
import org.certkit.internal.Constants;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class SabrTrainingTest extends EngineTest {

  private static final PgdAttack ATTACK = new PgdAttack(5, 0.25, 1, true);

  /**
   * The small box has half-width lambda (u - l) / 2 per pixel, lies in the eps-ball clipped to
   * [0, 1], and is centred at the given point wherever that point is far enough inside the ball;
   * checked pixel by pixel in double arithmetic, pixels at 0 and 1 included.
   */
  @Test
  void smallBoxLiesInTheClippedBallAroundTheCentre() {
    manager.getEngine().setRandomSeed(3);
    double eps = 0.1;
    NDArray x = manager.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(4, 1, 6, 6));
    x = x.mul(Constants.scalar(x, 1.4f)).sub(Constants.scalar(x, 0.2f)).clip(0, 1);
    NDArray offset = manager.randomUniform(-1, 1, x.getShape()).mul(Constants.scalar(x, 0.1f));
    NDArray centre = x.add(offset).clip(0, 1);
    float[] xs = x.toFloatArray();
    float[] cs = centre.toFloatArray();
    for (double lambda : new double[] {0, 0.3, 1}) {
      InputSet.BoxRegion box = SabrTraining.smallBox(x, centre, eps, lambda);
      float[] lo = box.lower().toFloatArray();
      float[] hi = box.upper().toFloatArray();
      int centred = 0;
      for (int i = 0; i < xs.length; i++) {
        double l = Math.max(0, xs[i] - eps);
        double u = Math.min(1, xs[i] + eps);
        double r = lambda * (u - l) / 2;
        assertTrue(lo[i] >= l - 1e-6 && hi[i] <= u + 1e-6, "pixel " + i + " leaves the ball");
        assertEquals(2 * r, hi[i] - lo[i], 1e-6, "width of pixel " + i);
        if (cs[i] >= l + r + 1e-6 && cs[i] <= u - r - 1e-6) {
          assertEquals(cs[i], (lo[i] + hi[i]) / 2.0, 1e-6, "centre of pixel " + i);
          centred++;
        }
      }
      assertTrue(lambda == 1 || centred > xs.length / 4, "few centred pixels: " + centred);
    }
  }

  /** lambda = 1 is IBP training on the ball: the same loss, regulariser included. */
  @Test
  void lambdaOneIsIbpTraining() {
    manager.getEngine().setRandomSeed(5);
    try (Network net = TinyNetworks.convBn(manager, 5)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      for (double eps : new double[] {0, 0.02, 0.1}) {
        double sabr = loss(new SabrTraining(1, ATTACK, 0.7, 0.5), net, x, y, eps);
        double ibp = loss(new IbpTraining(0.7, 0.5), net, x, y, eps);
        assertEquals(ibp, sabr, 1e-5 * Math.abs(ibp), "eps " + eps);
      }
    }
  }

  /**
   * lambda = 0 is adversarial training: the loss is the cross-entropy at the attack's point,
   * which is above the clean loss.
   */
  @Test
  void lambdaZeroIsTheLossAtTheAttacksPoint() {
    manager.getEngine().setRandomSeed(6);
    try (Network net = TinyNetworks.convBn(manager, 6)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      SabrTraining method = new SabrTraining(0, ATTACK, 1, 0);
      StepInput step = new StepInput(net, x, y, 0.1, 0.1, 0, BatchStatistics.training(), manager);
      NDArray point = method.prepare(step).get(0);
      double sabr = method.loss(step, new NDList(point)).loss().getFloat();
      double atPoint = Losses.crossEntropy(ConcreteDomain.forward(net, point, step.stats()), y)
          .getFloat();
      double clean = Losses.crossEntropy(ConcreteDomain.forward(net, x, step.stats()), y)
          .getFloat();
      assertEquals(atPoint, sabr, 1e-5 * atPoint);
      assertTrue(atPoint > clean, atPoint + " vs clean " + clean);
    }
  }

  /** Smaller boxes give smaller bounds, so lower robust losses, at the same centre. */
  @Test
  void robustLossGrowsWithLambda() {
    manager.getEngine().setRandomSeed(7);
    try (Network net = TinyNetworks.convBn(manager, 7)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      double previous = Double.NEGATIVE_INFINITY;
      for (double lambda : new double[] {0, 0.25, 0.5, 1}) {
        SabrTraining method = new SabrTraining(lambda, ATTACK, 1, 0);
        StepInput step = new StepInput(net, x, y, 0.1, 0.1, 0, BatchStatistics.training(),
            manager);
        double value = method.loss(step, new NDList(x)).loss().getFloat();
        assertTrue(value > previous, "lambda " + lambda + ": " + value + " after " + previous);
        previous = value;
      }
    }
  }

  private double loss(TrainingMethod method, Network net, NDArray x, NDArray y, double eps) {
    StepInput step = new StepInput(net, x, y, eps, 0.1, 0, BatchStatistics.training(), manager);
    return method.loss(step, method.prepare(step)).loss().getFloat();
  }
}
