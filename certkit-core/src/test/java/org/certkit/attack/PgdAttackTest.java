package org.certkit.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.certkit.domain.ConcreteDomain;
import org.certkit.loss.Losses;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgdAttackTest extends EngineTest {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(3);
  }

  /**
   * The attack differentiates through a detached copy of the network: the same parameter
   * values, none of them recording gradients, and the same gradient with respect to the input as
   * the full network's.
   */
  @Test
  void detachedNetworkGivesTheInputGradientWithoutParameterGradients() {
    try (Network net = TinyNetworks.convBn(manager, 1)) {
      net.requireGradients();
      NDArray x = TinyNetworks.inputs(manager, net, 6);
      NDArray labels = manager.arange(0, 6, 1, DataType.INT64).mod(4);
      double[][] inputGradients = new double[2][];
      try (Network frozen = net.detached(manager)) {
        for (int i = 0; i < net.parameters().size(); i++) {
          NDArray original = net.parameters().get(i).array();
          NDArray view = frozen.parameters().get(i).array();
          assertTrue(original.hasGradient());
          assertTrue(!view.hasGradient(), net.parameters().get(i).name());
          assertArrayEquals(original.toType(DataType.FLOAT64, false).toDoubleArray(),
              view.toType(DataType.FLOAT64, false).toDoubleArray());
        }
        Network[] both = {net, frozen};
        for (int k = 0; k < 2; k++) {
          NDArray point = x.duplicate();
          point.setRequiresGradient(true);
          try (ai.djl.training.GradientCollector collector =
              ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            collector.backward(Losses.crossEntropyPerExample(
                ConcreteDomain.forward(both[k], point, EVAL), labels).sum());
          }
          inputGradients[k] = point.getGradient().toDoubleArray();
        }
      }
      assertArrayEquals(inputGradients[0], inputGradients[1], 1e-12);
    }
  }

  /** Every returned point lies in the eps-ball around its input intersected with [0, 1]. */
  @Test
  void pointsStayInTheBallAndThePixelRange() {
    try (Network net = TinyNetworks.convBn(manager, 1)) {
      // Inputs with many pixels at or near 0 and 1, so that the [0, 1] clipping matters.
      NDArray x = TinyNetworks.inputs(manager, net, 16).mul(1.4).sub(0.2).clip(0, 1);
      NDArray labels = manager.arange(0, 16, 1, DataType.INT64).mod(4);
      double eps = 0.1;
      NDArray adversarial = new PgdAttack(10, 0.3, 2, true).attack(net, x, labels, eps, EVAL);
      assertEquals(x.getShape(), adversarial.getShape());
      double[] clean = x.toDoubleArray();
      double[] adv = adversarial.toDoubleArray();
      int moved = 0;
      for (int i = 0; i < clean.length; i++) {
        double lower = Math.max(0, clean[i] - eps);
        double upper = Math.min(1, clean[i] + eps);
        assertTrue(adv[i] >= lower && adv[i] <= upper,
            "coordinate " + i + " = " + adv[i] + " outside [" + lower + ", " + upper + "]");
        moved += adv[i] != clean[i] ? 1 : 0;
      }
      assertTrue(moved > clean.length / 2, "the attack should move most coordinates");
    }
  }

  /**
   * The attack's cross-entropy is at least the clean one for every example: always when the first
   * run starts at the clean input, and also with random starts on this tiny network.
   */
  @Test
  void attackLossIsAtLeastTheCleanLoss() {
    try (Network net = TinyNetworks.fc(manager, 5)) {
      NDArray x = TinyNetworks.inputs(manager, net, 64);
      NDArray labels = manager.arange(0, 64, 1, DataType.INT64).mod(3);
      double[] clean = crossEntropy(net, x, labels);
      for (boolean randomStart : new boolean[] {false, true}) {
        NDArray adversarial = new PgdAttack(20, 0.1, 2, randomStart)
            .attack(net, x, labels, 0.05, EVAL);
        double[] attacked = crossEntropy(net, adversarial, labels);
        for (int i = 0; i < clean.length; i++) {
          assertTrue(attacked[i] >= clean[i] - 1e-12, "randomStart " + randomStart + ", example "
              + i + ": attacked loss " + attacked[i] + " < clean loss " + clean[i]);
        }
      }
    }
  }

  /**
   * On a linear network (Normalize-Flatten-Linear) the cross-entropy is convex in the input, so
   * its maximum over the box is at a corner: PGD reaches the best of the 16 corners, computed here
   * by hand from the weights, within 1e-4.
   */
  @Test
  void findsTheWorstCornerOfALinearNetwork() {
    try (Network net = Architectures.build(new Architectures.Spec("fc", 1, new int[0]),
        TinyNetworks.FOUR_PIXELS, Initialization.DEFAULT, 17, manager)) {
      assertEquals(3, net.layers().size(), net.summary());
      Normalize normalize = (Normalize) net.layers().get(0);
      Linear linear = (Linear) net.layers().get(2);
      double[] w = linear.weight().toType(DataType.FLOAT64, false).toDoubleArray();
      double[] b = linear.bias().toType(DataType.FLOAT64, false).toDoubleArray();
      double mean = normalize.mean()[0];
      double std = normalize.std()[0];

      int n = 12;
      // Some inputs near the pixel range's ends, so that several boxes are clipped.
      NDArray x = TinyNetworks.inputs(manager, net, n).mul(1.2).sub(0.1).clip(0, 1);
      NDArray labels = manager.arange(0, n, 1, DataType.INT64).mod(3);
      double eps = 0.15;
      NDArray adversarial = new PgdAttack(30, 0.2, 8, true).attack(net, x, labels, eps, EVAL);
      double[] xs = x.toDoubleArray();
      double[] adv = adversarial.toDoubleArray();
      long[] ys = labels.toLongArray();
      for (int e = 0; e < n; e++) {
        double best = Double.NEGATIVE_INFINITY;
        double[] corner = new double[4];
        for (int c = 0; c < 16; c++) {
          for (int d = 0; d < 4; d++) {
            double v = xs[e * 4 + d];
            corner[d] = ((c >> d) & 1) == 1 ? Math.min(1, v + eps) : Math.max(0, v - eps);
          }
          best = Math.max(best, linearCrossEntropy(w, b, mean, std, corner, (int) ys[e]));
        }
        double[] point = java.util.Arrays.copyOfRange(adv, e * 4, e * 4 + 4);
        double found = linearCrossEntropy(w, b, mean, std, point, (int) ys[e]);
        assertTrue(found <= best + 1e-9, "example " + e + ": PGD beat every corner: " + found
            + " > " + best);
        assertEquals(best, found, 1e-4, "example " + e + ": PGD missed the worst corner");
      }
    }
  }

  /** At eps = 0 the attack returns the clean inputs unchanged. */
  @Test
  void zeroEpsilonReturnsTheInput() {
    try (Network net = TinyNetworks.fc(manager, 2)) {
      NDArray x = TinyNetworks.inputs(manager, net, 5);
      NDArray labels = manager.zeros(new Shape(5), DataType.INT64);
      NDArray adversarial = PgdAttack.withSteps(5, 1).attack(net, x, labels, 0, EVAL);
      assertArrayEquals(x.toDoubleArray(), adversarial.toDoubleArray(), 0);
    }
  }

  /** Steps, restarts and step size outside their ranges are rejected. */
  @Test
  void invalidArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new PgdAttack(0, 0.1, 1, true));
    assertThrows(IllegalArgumentException.class, () -> new PgdAttack(5, 0.1, 0, true));
    assertThrows(IllegalArgumentException.class, () -> new PgdAttack(5, 0, 1, true));
    assertThrows(IllegalArgumentException.class, () -> new PgdAttack(5, Double.NaN, 1, true));
  }

  private static double[] crossEntropy(Network net, NDArray x, NDArray labels) {
    return Losses.crossEntropyPerExample(ConcreteDomain.forward(net, x, EVAL), labels)
        .toDoubleArray();
  }

  /** Cross-entropy of the linear model {@code W (x - mean) / std + b} at one 4-pixel input. */
  private static double linearCrossEntropy(double[] w, double[] b, double mean, double std,
      double[] x, int label) {
    int classes = b.length;
    double[] logits = new double[classes];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < classes; k++) {
      double s = b[k];
      for (int d = 0; d < x.length; d++) {
        s += w[k * x.length + d] * (x[d] - mean) / std;
      }
      logits[k] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (double l : logits) {
      sum += Math.exp(l - max);
    }
    return max + Math.log(sum) - logits[label];
  }
}
