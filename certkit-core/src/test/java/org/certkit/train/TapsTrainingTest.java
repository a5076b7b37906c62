package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.certkit.attack.PgdAttack;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class TapsTrainingTest extends EngineTest {

  /**
   * The connector keeps the points' values and sends the gradient to the bound a point is near:
   * to u scaled by max(0, (p - (u - c w)) / (c w)), to l by max(0, ((l + c w) - p) / (c w)).
   */
  @Test
  void connectorSendsGradientsToTheNearBound() {
    float[] p = {0.1f, 0.5f, 0.8f, 1.0f};
    for (double c : new double[] {0.5, 0.25}) {
      NDArray lower = manager.zeros(new ai.djl.ndarray.types.Shape(4));
      NDArray upper = manager.ones(new ai.djl.ndarray.types.Shape(4));
      lower.setRequiresGradient(true);
      upper.setRequiresGradient(true);
      float[] value;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray z = TapsTraining.connected(manager.create(p), lower, upper, c);
        value = z.toFloatArray();
        collector.backward(z.sum());
      }
      assertArrayEquals(p, value, 1e-7f);
      float[] toUpper = upper.getGradient().toFloatArray();
      float[] toLower = lower.getGradient().toFloatArray();
      for (int i = 0; i < p.length; i++) {
        assertEquals(Math.max(0, (p[i] - (1 - c)) / c), toUpper[i], 1e-6, "u, c " + c);
        assertEquals(Math.max(0, (c - p[i]) / c), toLower[i], 1e-6, "l, c " + c);
      }
    }
  }

  /**
   * With an affine classifier (the last Linear layer) the latent PGD reaches the box corner that
   * minimises each margin, which IBP's merged last layer also bounds exactly: the TAPS loss equals
   * the IBP loss, and the step's loss is its square. With ReLUs in the classifier the points'
   * margins are at least IBP's bounds, so the loss is at most that square.
   */
  @Test
  void affineClassifierGivesTheIbpLossSquared() {
    manager.getEngine().setRandomSeed(11);
    try (Network net = TinyNetworks.convBn(manager, 11)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      double eps = 0.05;
      double ibp = loss(new IbpTraining(1, 0), net, x, y, eps);
      double affine = loss(new TapsTraining(1, 10, 0.5, 4, 1, 0), net, x, y, eps);
      assertEquals(ibp * ibp, affine, 1e-4 * ibp * ibp);
      double deeper = loss(new TapsTraining(3, 10, 0.5, 4, 1, 0), net, x, y, eps);
      assertTrue(deeper <= ibp * ibp * (1 + 1e-5), deeper + " vs " + ibp * ibp);
    }
  }

  /**
   * STAPS is TAPS on SABR's small box: with an affine classifier its loss is the square of the
   * IBP loss over the small box (SABR's robust loss at the same centre); at lambda = 1 the box is
   * the ball and STAPS is TAPS.
   */
  @Test
  void stapsIsTapsOnTheSmallBox() {
    manager.getEngine().setRandomSeed(13);
    try (Network net = TinyNetworks.convBn(manager, 13)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      double eps = 0.05;
      PgdAttack attack = new PgdAttack(5, 0.25, 1, true);
      TapsTraining affine = new TapsTraining(1, 10, 0.5, 4, 1, 0);
      StepInput step = new StepInput(net, x, y, eps, eps, 0, BatchStatistics.training(), manager);
      StapsTraining staps = new StapsTraining(0.5, attack, affine);
      NDList prepared = staps.prepare(step);
      double small = new SabrTraining(0.5, attack, 1, 0).loss(step, new NDList(prepared.get(0)))
          .loss().getFloat();
      double got = staps.loss(step, prepared).loss().getFloat();
      assertEquals(small * small, got, 1e-4 * small * small);
      double whole = loss(new StapsTraining(1, attack, affine), net, x, y, eps);
      double ibp = loss(new IbpTraining(1, 0), net, x, y, eps);
      assertEquals(ibp * ibp, whole, 1e-4 * ibp * ibp);
      assertTrue(small < ibp, "the small box's loss " + small + " is not below IBP's " + ibp);
    }
  }

  /** The TAPS step's gradient reaches every parameter of a CNN with BatchNorm. */
  @Test
  void gradientReachesEveryParameter() {
    manager.getEngine().setRandomSeed(12);
    try (Network net = TinyNetworks.convBn(manager, 12)) {
      net.requireGradients();
      NDArray x = TinyNetworks.inputs(manager, net, 8).toType(DataType.FLOAT32, false);
      NDArray y = TinyNetworks.labels(manager, 8, 4);
      TapsTraining method = new TapsTraining(3, 5, 0.5, 4, 0.7, 0);
      StepInput step = new StepInput(net, x, y, 0.05, 0.05, 0, BatchStatistics.training(), manager);
      NDList points = method.prepare(step);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(method.loss(step, points).loss());
      }
      for (Network.NamedArray p : net.parameters()) {
        NDArray g = p.array().getGradient();
        assertTrue(Float.isFinite(g.sum().getFloat()), p.name());
        assertTrue(g.abs().sum().getFloat() > 0, p.name() + " has no gradient");
      }
    }
  }

  private double loss(TrainingMethod method, Network net, NDArray x, NDArray y, double eps) {
    StepInput step = new StepInput(net, x, y, eps, eps, 0, BatchStatistics.training(), manager);
    return method.loss(step, method.prepare(step)).loss().getFloat();
  }
}
