package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.ZonotopeDomain;
import org.certkit.loss.Losses;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class ColtTrainingTest extends EngineTest {

  private static final ColtTraining COLT =
      new ColtTraining(new PgdAttack(5, 0.25, 1, true), 8, 0.25, 0.5, 3, 0, 0, 0, 1);

  /**
   * The fully connected test net (Normalize, Flatten, Linear, ReLU, Linear, ReLU, Linear) has
   * three stages: the input, then its ReLUs at nodes 3 and 5; each holds a third of the run and
   * mixes in the previous stage's loss over its first half.
   */
  @Test
  void stagesFollowTheReluLayersAndTheRunsProgress() {
    try (Network net = TinyNetworks.fc(manager, 1)) {
      assertEquals(List.of(-1, 3, 5), ColtTraining.latents(net));
    }
    assertEquals(0, ColtTraining.stage(0, 3));
    assertEquals(0, ColtTraining.stage(0.33, 3));
    assertEquals(1, ColtTraining.stage(0.34, 3));
    assertEquals(2, ColtTraining.stage(0.99, 3));
    assertEquals(1, COLT.currentWeight(0.2, 3), 1e-12);
    assertEquals(0.5, COLT.currentWeight(1.0 / 3 + 1.0 / 12, 3), 1e-12);
    assertEquals(1, COLT.currentWeight(1.0 / 3 + 1.0 / 6 + 1e-9, 3), 1e-12);
    assertThrows(IllegalArgumentException.class,
        () -> ColtTraining.latents(TinyNetworks.residual(manager, 1)));
  }

  /**
   * A latent point of stage 1 lies in the box of the zonotope of the eps-ball at that ReLU, and
   * its cross-entropy through the rest of the network is at least that of the clean input's
   * latent value (a point of the same zonotope).
   */
  @Test
  void latentPointsLieInTheZonotopeAndRaiseTheLoss() {
    manager.getEngine().setRandomSeed(5);
    try (Network net = TinyNetworks.fc(manager, 2)) {
      NDArray x = TinyNetworks.inputs(manager, net, 7).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 7, net.numClasses());
      double eps = 0.1;
      StepInput step = new StepInput(net, x, y, eps, eps, 0.5, BatchStatistics.training(),
          manager);
      NDArray point = COLT.point(step, 3);
      BatchStatistics eval = BatchStatistics.evaluation();
      Box box = new ZonotopeDomain().propagate(net, ZonotopeDomain.of(Box.linfBall(x, eps)), 4,
          eval).getLast().box();
      assertTrue(point.gte(box.lower().sub(1e-5f)).all().getBoolean(), "below the latent box");
      assertTrue(point.lte(box.upper().add(1e-5f)).all().getBoolean(), "above the latent box");
      List<org.certkit.net.Layer> after = net.layers().subList(4, net.layers().size());
      NDArray cleanLatent = ConcreteDomain.forward(net.layers().subList(0, 4), 0, x, eval);
      double attacked = Losses.crossEntropy(ConcreteDomain.forward(after, 4, point, eval), y)
          .getFloat();
      double clean = Losses.crossEntropy(ConcreteDomain.forward(after, 4, cleanLatent, eval), y)
          .getFloat();
      assertTrue(attacked > clean, "attacked " + attacked + " vs clean " + clean);
    }
  }

  /**
   * The Cauchy estimate of the latent zonotope's bounds (2,000 projections) gives DeepZ's ReLU
   * relaxations of the exact zonotope ({@link ZonotopeDomain}) at both ReLUs of the test net:
   * slopes within 0.05 and offsets within 10% (plus 1e-3) for at least 90% of the units.
   */
  @Test
  void cauchyProjectionsEstimateTheZonotopesRelaxations() {
    manager.getEngine().setRandomSeed(8);
    ColtTraining projected = new ColtTraining(new PgdAttack(5, 0.25, 1, true), 8, 0.25, 0.5, 3,
        2000, 0, 0, 1);
    try (Network net = TinyNetworks.fc(manager, 4)) {
      NDArray x = TinyNetworks.inputs(manager, net, 6).toType(DataType.FLOAT32, false);
      Box ball = Box.linfBall(x, 0.1);
      BatchStatistics eval = BatchStatistics.evaluation();
      List<NDArray[]> exact = COLT.relaxations(net, 5, ball, eval);
      List<NDArray[]> estimate = projected.relaxations(net, 5, ball, eval);
      assertEquals(2, exact.size());
      for (int k = 0; k < 2; k++) {
        float[] le = exact.get(k)[0].toFloatArray();
        float[] me = exact.get(k)[1].toFloatArray();
        float[] lp = estimate.get(k)[0].toFloatArray();
        float[] mp = estimate.get(k)[1].toFloatArray();
        int close = 0;
        int loose = 0;
        for (int j = 0; j < le.length; j++) {
          loose += le[j] > 0 && le[j] < 1 ? 1 : 0;
          close += Math.abs(lp[j] - le[j]) <= 0.05
              && Math.abs(mp[j] - me[j]) <= 0.1 * Math.abs(me[j]) + 1e-3 ? 1 : 0;
        }
        assertTrue(loose > 0, "ReLU " + k + " has no loose unit to relax");
        assertTrue(close >= 0.9 * le.length, "ReLU " + k + ": " + close + " of " + le.length
            + " relaxations close to the exact zonotope's");
      }
    }
  }

  /**
   * The regularisers' closed forms on fixed points: L1 adds {@code l1 * sum |W|} over the linear
   * layers' weights, ReLU stability adds {@code rs * mean_n sum_j relu(-l_j) relu(u_j)} over the
   * exact zonotope's bounds at the next stage's ReLU, at the stage's grown radius; the first
   * stage's attack reaches past eps and stays within {@code eps * 1.5^2} (3 stages, factor 1.5).
   */
  @Test
  void regularisersAndStageRadiiFollowTheirDefinitions() {
    manager.getEngine().setRandomSeed(9);
    try (Network net = TinyNetworks.fc(manager, 5)) {
      NDArray x = TinyNetworks.inputs(manager, net, 6).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 6, net.numClasses());
      double eps = 0.05;
      StepInput step = new StepInput(net, x, y, eps, eps, 0.1, BatchStatistics.training(),
          manager);
      PgdAttack attack = new PgdAttack(5, 0.25, 1, true);
      ColtTraining plain = new ColtTraining(attack, 8, 0.25, 0.5, 3, 0, 0, 0, 1.5);
      ColtTraining regular = new ColtTraining(attack, 8, 0.25, 0.5, 3, 0, 1e-3, 0.01, 1.5);
      NDList points = plain.prepare(step);
      double far = points.get(0).sub(x).abs().max().getFloat();
      assertTrue(far > 1.01 * eps && far <= 2.25 * eps + 1e-6, "stage 0 reaches " + far);
      double base = plain.loss(step, points).loss().getFloat();
      double regularised = regular.loss(step, points).loss().getFloat();
      double l1 = 0;
      for (org.certkit.net.Layer layer : net.layers()) {
        if (layer instanceof org.certkit.net.Linear l) {
          for (float w : l.weight().toFloatArray()) {
            l1 += Math.abs(w);
          }
        }
      }
      Box next = new ZonotopeDomain().propagate(net,
          ZonotopeDomain.of(Box.linfBall(x, 2.25 * eps)), 4, BatchStatistics.evaluation())
          .get(2).box();
      float[] lower = next.lower().toFloatArray();
      float[] upper = next.upper().toFloatArray();
      double unstable = 0;
      for (int j = 0; j < lower.length; j++) {
        unstable += Math.max(0, -lower[j]) * Math.max(0, upper[j]);
      }
      unstable /= 6;
      assertTrue(unstable > 0, "no unstable unit to regularise");
      double expected = base + 1e-3 * l1 + 0.01 * unstable;
      assertEquals(expected, regularised, 1e-4 * Math.abs(expected));
    }
  }

  /**
   * While a stage mixes, the loss is {@code w L_s + (1 - w) L_(s-1)} of the two stages' points,
   * here at {@code w = 1/2}; before and after, the current stage's alone.
   */
  @Test
  void mixingBlendsThePreviousStagesLoss() {
    manager.getEngine().setRandomSeed(6);
    try (Network net = TinyNetworks.fc(manager, 3)) {
      NDArray x = TinyNetworks.inputs(manager, net, 5).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 5, net.numClasses());
      double progress = 2.0 / 3 + 1.0 / 12;
      StepInput step = new StepInput(net, x, y, 0.1, 0.1, progress,
          BatchStatistics.training(), manager);
      NDList points = COLT.prepare(step);
      assertEquals(2, points.size());
      double loss = COLT.loss(step, points).loss().getFloat();
      double current = Losses.crossEntropy(ConcreteDomain.forward(net.layers().subList(6, 7), 6,
          points.get(0), step.stats()), y).getFloat();
      double previous = Losses.crossEntropy(ConcreteDomain.forward(net.layers().subList(4, 7),
          4, points.get(1), step.stats()), y).getFloat();
      assertEquals(0.5 * current + 0.5 * previous, loss, 1e-5);
      StepInput later = new StepInput(net, x, y, 0.1, 0.1, 0.95, BatchStatistics.training(),
          manager);
      assertEquals(1, COLT.prepare(later).size());
    }
  }
}
