package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.reference.ReferenceBounds;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearBoundDomainTest extends EngineTest {

  private static final double RELATIVE = 1e-4;

  /** CROWN logit bounds equal auto_LiRPA's to 1e-4 relative. */
  @ParameterizedTest
  @ValueSource(strings = {"fc", "cnn3"})
  void crownLogitBoundsMatchAutoLirpa(String model) throws Exception {
    try (Network net = ReferenceBounds.network(model, manager)) {
      InputSet ball = referenceBall();
      Box box = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.NEAREST)
          .outputBounds(net, ball, BatchStatistics.evaluation());
      assertClose(ReferenceBounds.matrix(model, "crown_logit_bounds/lower"), box.lower(),
          model + " lower");
      assertClose(ReferenceBounds.matrix(model, "crown_logit_bounds/upper"), box.upper(),
          model + " upper");
    }
  }

  /** CROWN margin lower bounds (last layer merged) equal auto_LiRPA's to 1e-4 relative. */
  @ParameterizedTest
  @ValueSource(strings = {"fc", "cnn3"})
  void crownMarginsMatchAutoLirpa(String model) throws Exception {
    try (Network net = ReferenceBounds.network(model, manager)) {
      InputSet ball = referenceBall();
      NDArray labels = ReferenceBounds.marginLabels(model, manager);
      NDArray lower = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.NEAREST).lowerBounds(
          net, ball, new Specification.Margins(labels), BatchStatistics.evaluation());
      double[][] expected = ReferenceBounds.matrix(model, "crown_margin_lower");
      double[][] got = withoutLabelColumn(lower, labels.toLongArray());
      assertClose(expected, got, model + " margins");
    }
  }

  /**
   * Optimised slopes (sound, OUTWARD, auto_LiRPA's settings) give margin bounds at least CROWN's
   * everywhere and at least as tight as auto_LiRPA's alpha-CROWN values, up to 1e-4 relative.
   */
  @ParameterizedTest
  @ValueSource(strings = {"fc", "cnn3"})
  void optimisedSlopesReachAutoLirpa(String model) throws Exception {
    try (Network net = ReferenceBounds.network(model, manager)) {
      InputSet ball = referenceBall();
      NDArray labels = ReferenceBounds.marginLabels(model, manager);
      Specification spec = new Specification.Margins(labels);
      double[][] crown = withoutLabelColumn(new LinearBoundDomain(
          LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.OUTWARD).lowerBounds(
          net, ball, spec, BatchStatistics.evaluation()), labels.toLongArray());
      long started = System.nanoTime();
      double[][] alpha = withoutLabelColumn(new LinearBoundDomain(
          LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.OUTWARD,
          LinearBoundDomain.SlopeOptimisation.standard()).lowerBounds(net, ball, spec,
          BatchStatistics.evaluation()), labels.toLongArray());
      double seconds = (System.nanoTime() - started) / 1e9;
      double[][] reference = ReferenceBounds.matrix(model, "alpha_crown_margin_lower");
      double sumAlpha = 0;
      double sumReference = 0;
      double sumCrown = 0;
      int looser = 0;
      for (int i = 0; i < crown.length; i++) {
        for (int j = 0; j < crown[i].length; j++) {
          assertTrue(alpha[i][j] >= crown[i][j], model + " " + i + "," + j);
          if (alpha[i][j] < reference[i][j] - RELATIVE * Math.abs(reference[i][j])) {
            looser++;
          }
          sumAlpha += alpha[i][j];
          sumReference += reference[i][j];
          sumCrown += crown[i][j];
        }
      }
      int count = crown.length * crown[0].length;
      System.out.printf("%s: mean margin bound CROWN %.5f, alpha-CROWN %.5f (auto_LiRPA %.5f),"
          + " %d of %d looser than auto_LiRPA, %.1f s%n", model, sumCrown / count,
          sumAlpha / count, sumReference / count, looser, count, seconds);
      assertTrue(looser == 0, model + ": " + looser + " bounds looser than auto_LiRPA's");
    }
  }

  /**
   * A network whose patch rows of one example take several chunks (Conv 1->64 and 64->64 on
   * 14x14) goes one example per pass: the margin bounds of a batch of 2 are those of each
   * example alone, bit for bit, with every example keeping its own label.
   */
  @org.junit.jupiter.api.Test
  void batchOfAWideConvolutionGoesExampleByExample() {
    try (ai.djl.ndarray.NDManager scope = manager.newSubManager()) {
      scope.getEngine().setRandomSeed(11);
      java.util.List<org.certkit.net.Layer> layers = java.util.List.of(
          new org.certkit.net.Conv2d(scope.randomNormal(new ai.djl.ndarray.types.Shape(64, 1, 3,
              3)).div(3), scope.randomNormal(new ai.djl.ndarray.types.Shape(64)).div(10), 1, 1),
          new org.certkit.net.Relu(),
          new org.certkit.net.Conv2d(scope.randomNormal(new ai.djl.ndarray.types.Shape(64, 64,
              3, 3)).div(24), scope.randomNormal(new ai.djl.ndarray.types.Shape(64)).div(10), 1,
              1),
          new org.certkit.net.Relu(), new org.certkit.net.Flatten(),
          new org.certkit.net.Linear(scope.randomNormal(new ai.djl.ndarray.types.Shape(10,
              64 * 14 * 14)).div(112), scope.zeros(new ai.djl.ndarray.types.Shape(10))));
      try (Network net = new Network("wide", new ai.djl.ndarray.types.Shape(1, 14, 14), layers,
          scope.newSubManager())) {
        NDArray x = scope.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(2, 1, 14, 14),
            ai.djl.ndarray.types.DataType.FLOAT64);
        NDArray labels = scope.create(new long[] {2, 7});
        LinearBoundDomain crown = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD);
        org.junit.jupiter.api.Assertions.assertEquals(1, crown.examplesPerPass(net,
            Box.linfBall(x, 0.002), BatchStatistics.evaluation()));
        double[] batch = crown.lowerBounds(net, InputSet.LinfBall.pixels(x, 0.002),
            new Specification.Margins(labels), BatchStatistics.evaluation()).toDoubleArray();
        for (int i = 0; i < 2; i++) {
          double[] alone = crown.lowerBounds(net, InputSet.LinfBall.pixels(
              x.get(i + ":" + (i + 1)), 0.002), new Specification.Margins(
              labels.get(i + ":" + (i + 1))), BatchStatistics.evaluation()).toDoubleArray();
          org.junit.jupiter.api.Assertions.assertArrayEquals(alone,
              java.util.Arrays.copyOfRange(batch, 10 * i, 10 * (i + 1)), "example " + i);
        }
      }
    }
  }

  /** The reference batch's eps-ball, in float64. */
  private InputSet referenceBall() {
    return InputSet.LinfBall.pixels(ReferenceBounds.inputs(manager)
        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false), ReferenceBounds.eps());
  }

  private static double[][] withoutLabelColumn(NDArray lower, long[] labels) {
    double[] flat = lower.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
    int classes = (int) lower.getShape().get(1);
    double[][] out = new double[labels.length][classes - 1];
    for (int i = 0; i < labels.length; i++) {
      for (int k = 0, j = 0; k < classes; k++) {
        if (k != labels[i]) {
          out[i][j++] = flat[i * classes + k];
        }
      }
    }
    return out;
  }

  private static void assertClose(double[][] expected, NDArray actual, String what) {
    double[] flat = actual.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
    int cols = expected[0].length;
    double[][] got = new double[expected.length][cols];
    for (int i = 0; i < expected.length; i++) {
      System.arraycopy(flat, i * cols, got[i], 0, cols);
    }
    assertClose(expected, got, what);
  }

  private static void assertClose(double[][] expected, double[][] got, String what) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        double scale = Math.max(1, Math.abs(expected[i][j]));
        worst = Math.max(worst, Math.abs(got[i][j] - expected[i][j]) / scale);
      }
    }
    System.out.println(what + ": worst relative difference " + worst);
    assertTrue(worst <= RELATIVE, what + ": worst relative difference " + worst);
  }
}
