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
