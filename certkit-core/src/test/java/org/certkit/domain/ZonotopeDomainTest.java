package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.certkit.attack.PgdAttack;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Flatten;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ZonotopeDomainTest extends EngineTest {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();
  private static final ZonotopeDomain ZONOTOPE = new ZonotopeDomain();

  /** The contract of every domain. */
  @Nested
  class Contract extends BoundDomainContract {
    @Override
    BoundDomain domain() {
      return ZONOTOPE;
    }
  }

  /** Computed with rounding to nearest, the domain must not claim floating-point soundness. */
  @Test
  void doesNotClaimFloatingPointSoundness() {
    assertFalse(ZONOTOPE.sound());
  }

  /**
   * Sound in exact arithmetic: on every contract network and on one with Sigmoid, Tanh and both
   * poolings, the output box holds 1000 uniform samples and PGD's strongest points, and margin
   * bounds lie below every sampled margin, up to float64 rounding ({@code 1e-12} relative).
   */
  @Test
  void boundsHoldOnSamplesAndPgdPoints() {
    double eps = 0.05;
    List<BiFunction<NDManager, Long, Network>> networks =
        new ArrayList<>(List.of(BoundDomainContract.NETWORKS));
    networks.add(TinyNetworks::smooth);
    for (BiFunction<NDManager, Long, Network> build : networks) {
      try (Network net = build.apply(manager, 5L)) {
        int classes = net.numClasses();
        NDArray x = TinyNetworks.inputs(manager, net, 3);
        NDArray labels = manager.arange(0, 3, 1, DataType.INT64).mod(classes);
        InputSet ball = InputSet.LinfBall.pixels(x, eps);
        Box out = ZONOTOPE.outputBounds(net, ball, EVAL);
        double[] margins = ZONOTOPE.lowerBounds(net, ball, new Specification.Margins(labels),
            EVAL).toDoubleArray();
        NDArray adversarial = new PgdAttack(20, 0.1, 2, true).attack(net, x, labels, eps, EVAL);
        double[] lower = out.lower().toDoubleArray();
        double[] upper = out.upper().toDoubleArray();
        double[] pgd = ConcreteDomain.forward(net, adversarial, EVAL).toDoubleArray();
        for (int i = 0; i < 3; i++) {
          double[] y = ConcreteDomain.forward(net,
              TinyNetworks.ballPoints(x.get(i).expandDims(0), eps, 1000, i), EVAL)
              .toDoubleArray();
          double[] all = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(y),
              java.util.Arrays.stream(pgd, i * classes, (i + 1) * classes)).toArray();
          int t = (int) labels.getLong(i);
          for (int p = 0; p < all.length / classes; p++) {
            for (int k = 0; k < classes; k++) {
              double v = all[p * classes + k];
              double slack = 1e-12 * (1 + Math.abs(v));
              String what = net.architecture() + " example " + i + " output " + k;
              assertTrue(lower[i * classes + k] <= v + slack, what + " below the box");
              assertTrue(upper[i * classes + k] >= v - slack, what + " above the box");
              double margin = all[p * classes + t] - v;
              assertTrue(margins[i * classes + k] <= margin + 1e-12 * (1 + Math.abs(margin)),
                  what + ": margin bound " + margins[i * classes + k] + " above " + margin);
            }
          }
        }
      }
    }
  }

  /**
   * Through two linear layers the zonotope is the exact image: its box radius is
   * {@code |W2 W1| r}, computed here in plain double arithmetic, below IBP's
   * {@code |W2| |W1| r}.
   */
  @Test
  void linearLayersAreExact() {
    Random random = new Random(3);
    double[][] w1 = randomMatrix(random, 5, 4);
    double[][] w2 = randomMatrix(random, 3, 5);
    NDManager owner = manager.newSubManager();
    Network net = new Network("linear", TinyNetworks.FOUR_PIXELS.shape(), List.of(new Flatten(),
        new Linear(owner.create(flat(w1), new Shape(5, 4)), owner.zeros(new Shape(5),
            DataType.FLOAT64)),
        new Linear(owner.create(flat(w2), new Shape(3, 5)), owner.zeros(new Shape(3),
            DataType.FLOAT64))), owner);
    try (net) {
      double eps = 0.05;
      NDArray x = manager.full(new Shape(1, 1, 2, 2), 0.5f).toType(DataType.FLOAT64, false);
      double[] radius = ZONOTOPE.outputBounds(net, InputSet.LinfBall.pixels(x, eps), EVAL)
          .radius().toDoubleArray();
      double[] ibp = new IntervalDomain(IntervalDomain.Rounding.NEAREST).outputBounds(net,
          InputSet.LinfBall.pixels(x, eps), EVAL).radius().toDoubleArray();
      for (int k = 0; k < 3; k++) {
        double exact = 0;
        for (int j = 0; j < 4; j++) {
          double product = 0;
          for (int h = 0; h < 5; h++) {
            product += w2[k][h] * w1[h][j];
          }
          exact += Math.abs(product) * eps;
        }
        assertEquals(exact, radius[k], 1e-12, "output " + k);
        assertTrue(radius[k] < ibp[k], "zonotope " + radius[k] + " vs IBP " + ibp[k]);
      }
    }
  }

  /**
   * A loose ReLU with input bounds {@code [l, u]} gets the box {@code [lambda l, u]},
   * {@code lambda = u / (u - l)}: the parallelogram's lower edge at {@code l} and its upper at
   * {@code u}; an active one keeps {@code [l, u]}.
   */
  @Test
  void looseReluBoxIsLambdaLToU() {
    NDManager owner = manager.newSubManager();
    Network net = new Network("relu", TinyNetworks.FOUR_PIXELS.shape(), List.of(
        new Normalize(new float[] {0.5f}, new float[] {0.25f}), new Flatten(), new Relu()),
        owner);
    try (net) {
      NDArray x = manager.create(new double[] {0.45, 0.5, 0.6, 0.9}, new Shape(1, 1, 2, 2));
      double eps = 0.1;
      Box out = ZONOTOPE.outputBounds(net, InputSet.LinfBall.pixels(x, eps), EVAL);
      double[] lower = out.lower().toDoubleArray();
      double[] upper = out.upper().toDoubleArray();
      double[] pixels = {0.45, 0.5, 0.6, 0.9};
      for (int i = 0; i < 4; i++) {
        double l = (Math.max(0, pixels[i] - eps) - 0.5) / 0.25;
        double u = (Math.min(1, pixels[i] + eps) - 0.5) / 0.25;
        double expectedLower = l >= 0 ? l : u / (u - l) * l;
        assertEquals(expectedLower, lower[i], 1e-6, "lower " + i);
        assertEquals(u, upper[i], 1e-6, "upper " + i);
      }
    }
  }

  /** A point of shared and private error terms in {@code [-1, 1]} lies in the zonotope's box. */
  @Test
  void pointsOfErrorTermsLieInTheBox() {
    try (Network net = TinyNetworks.convBn(manager, 5)) {
      NDArray x = TinyNetworks.inputs(manager, net, 3);
      ZonotopeDomain.Zonotope input = ZonotopeDomain.of(Box.linfBall(x, 0.05));
      ZonotopeDomain.Zonotope latent = ZONOTOPE.propagate(net, input, 3, EVAL).getLast();
      NDArray e = manager.randomUniform(-1, 1, new Shape(3, latent.terms()), x.getDataType());
      NDArray p = manager.randomUniform(-1, 1, latent.centre().getShape(), x.getDataType());
      NDArray point = latent.point(e, p);
      Box box = latent.box();
      assertTrue(point.gte(box.lower().sub(1e-6)).all().getBoolean());
      assertTrue(point.lte(box.upper().add(1e-6)).all().getBoolean());
    }
  }

  private static double[][] randomMatrix(Random random, int rows, int columns) {
    double[][] m = new double[rows][columns];
    for (double[] row : m) {
      for (int j = 0; j < columns; j++) {
        row[j] = random.nextGaussian();
      }
    }
    return m;
  }

  private static double[] flat(double[][] m) {
    return java.util.Arrays.stream(m).flatMapToDouble(java.util.Arrays::stream).toArray();
  }
}
