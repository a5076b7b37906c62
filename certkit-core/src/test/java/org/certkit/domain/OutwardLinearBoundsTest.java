package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.math.BigDecimal;
import java.util.List;
import java.util.Random;
import org.certkit.domain.ExactIntervals.Interval;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link LinearBoundDomain} with {@link IntervalDomain.Rounding#OUTWARD} against exact arithmetic
 * (BigDecimal): its margin lower bounds never exceed the exact margins, on cases built so that
 * rounding decides the sign (logits that nearly tie, BatchNorm means that cancel), in float64 and
 * in float32 arithmetic.
 */
class OutwardLinearBoundsTest extends EngineTest {

  private static final int TRIALS = 300;
  private static final BatchStatistics EVAL = BatchStatistics.evaluation();

  private static LinearBoundDomain domain(LinearBoundDomain.SoundArithmetic arithmetic) {
    return new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
        IntervalDomain.Rounding.OUTWARD, null, arithmetic);
  }

  /**
   * One Linear layer over a ball: CROWN's margin bound is the exact minimum up to rounding, and
   * must lie below it; the biases nearly tie so the margins are tiny against the logits.
   */
  @ParameterizedTest
  @EnumSource(LinearBoundDomain.SoundArithmetic.class)
  void singleLayerMarginsBelowExactMinimum(LinearBoundDomain.SoundArithmetic arithmetic) {
    LinearBoundDomain domain = domain(arithmetic);
    Random random = new Random(21);
    int in = 5;
    int classes = 3;
    for (int t = 0; t < TRIALS; t++) {
      float[] w = OutwardRoundingTest.floats(random, classes * in, 1f);
      float base = (float) (Math.pow(10, random.nextInt(5)) * random.nextGaussian());
      float[] b = new float[classes];
      for (int k = 0; k < classes; k++) {
        b[k] = base + (float) (random.nextGaussian() * Math.pow(10, -random.nextInt(8)));
      }
      double[] x = points(random, in);
      double eps = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 1e-3;
      int target = random.nextInt(classes);
      try (NDManager scope = manager.newSubManager();
          Network net = new Network("fc", new Shape(in), List.of(new Flatten(),
              new Linear(scope.create(w, new Shape(classes, in)), scope.create(b))),
              manager.newSubManager())) {
        double[] computed = margins(domain, net, scope, x, eps, target);
        BigDecimal[] exact = ExactIntervals.marginLower(ExactIntervals.linfBall(x, eps), w, b,
            target);
        assertBelow(computed, exact, target, "trial " + t);
      }
    }
  }

  /**
   * Linear, BatchNorm with large means and a shift that cancels them, ReLU, Linear, ReLU and a
   * last Linear with nearly tied biases, at a point: every margin bound lies below the exact
   * margin of the network evaluated in BigDecimal.
   */
  @ParameterizedTest
  @EnumSource(LinearBoundDomain.SoundArithmetic.class)
  void deepPointMarginsBelowExactMargins(LinearBoundDomain.SoundArithmetic arithmetic) {
    LinearBoundDomain domain = domain(arithmetic);
    Random random = new Random(22);
    int in = 4;
    int hidden = 5;
    int classes = 3;
    for (int t = 0; t < TRIALS; t++) {
      float[] w1 = OutwardRoundingTest.floats(random, hidden * in, 1f);
      float[] b1 = OutwardRoundingTest.floats(random, hidden, 0.1f);
      CancellingBatchNorm bn = CancellingBatchNorm.random(random, hidden);
      float[] w2 = OutwardRoundingTest.floats(random, hidden * hidden, 1f);
      float[] b2 = OutwardRoundingTest.floats(random, hidden, 0.1f);
      float[] w3 = OutwardRoundingTest.floats(random, classes * hidden, 1f);
      float base = (float) random.nextGaussian();
      float[] b3 = new float[classes];
      for (int k = 0; k < classes; k++) {
        b3[k] = base + (float) (random.nextGaussian() * Math.pow(10, -random.nextInt(8)));
      }
      double[] x = points(random, in);
      int target = random.nextInt(classes);
      try (NDManager scope = manager.newSubManager();
          Network net = new Network("deep", new Shape(in), List.of(new Flatten(),
              new Linear(scope.create(w1, new Shape(hidden, in)), scope.create(b1)),
              bn.layer(scope),
              new Relu(),
              new Linear(scope.create(w2, new Shape(hidden, hidden)), scope.create(b2)),
              new Relu(),
              new Linear(scope.create(w3, new Shape(classes, hidden)), scope.create(b3))),
              manager.newSubManager())) {
        double[] computed = margins(domain, net, scope, x, 0, target);
        Interval[] h = ExactIntervals.linfBall(x, 0);
        h = ExactIntervals.linear(h, w1, b1);
        h = bn.exact(h, 1);
        h = ExactIntervals.relu(ExactIntervals.linear(ExactIntervals.relu(h), w2, b2));
        BigDecimal[] exact = ExactIntervals.marginLower(h, w3, b3, target);
        assertBelow(computed, exact, target, "trial " + t);
      }
    }
  }

  /**
   * The patch path: Conv(1->2, 3x3, p1), BatchNorm with large means and a cancelling shift,
   * ReLU, and a last Conv(2->2, 3x3, s2, p1) whose biases bring each channel's first unit to
   * within float rounding of zero, on 4x4 images at a point. The last node's bounds go back as
   * patches; its box must contain the exact values (BigDecimal). Without the patch steps'
   * rounding allowance this fails in the first trial.
   */
  @ParameterizedTest
  @EnumSource(LinearBoundDomain.SoundArithmetic.class)
  void convolutionPatchBoundsContainExactImage(LinearBoundDomain.SoundArithmetic arithmetic) {
    LinearBoundDomain domain = domain(arithmetic);
    Random random = new Random(23);
    int side = 4;
    int channels = 2;
    for (int t = 0; t < TRIALS / 3; t++) {
      float[] w1 = OutwardRoundingTest.floats(random, channels * 9, 1f);
      float[] b1 = OutwardRoundingTest.floats(random, channels, 0.1f);
      CancellingBatchNorm bn = CancellingBatchNorm.random(random, channels);
      float[] w2 = OutwardRoundingTest.floats(random, channels * channels * 9, 1f);
      double[] x = points(random, side * side);
      Interval[] h = ExactIntervals.linfBall(x, 0);
      h = ExactIntervals.conv2d(h, 1, side, side, w1, b1, 3, 1, 1);
      h = ExactIntervals.relu(bn.exact(h, side * side));
      Interval[] unbiased = ExactIntervals.conv2d(h, channels, side, side, w2,
          new float[channels], 3, 2, 1);
      float[] b2 = new float[channels];
      for (int c = 0; c < channels; c++) {
        b2[c] = (float) -unbiased[c * 4].lo().doubleValue();
      }
      Interval[] exact = ExactIntervals.conv2d(h, channels, side, side, w2, b2, 3, 2, 1);
      try (NDManager scope = manager.newSubManager();
          Network net = new Network("patches", new Shape(1, side, side), List.of(
              new Conv2d(scope.create(w1, new Shape(channels, 1, 3, 3)), scope.create(b1), 1, 1),
              bn.layer(scope),
              new Relu(),
              new Conv2d(scope.create(w2, new Shape(channels, channels, 3, 3)),
                  scope.create(b2), 2, 1)),
              manager.newSubManager())) {
        NDArray point = scope.create(x, new Shape(1, 1, side, side));
        Box box = domain.outputBounds(net, InputSet.LinfBall.pixels(point, 0), EVAL);
        ExactIntervals.assertContains(
            box.centre().toType(DataType.FLOAT64, false).toDoubleArray(),
            box.radius().toType(DataType.FLOAT64, false).toDoubleArray(), exact, "trial " + t);
      }
    }
  }

  /**
   * BatchNorm parameters whose running means reach 10^3 and, half the time, whose shift cancels
   * them, so that the output is small against the terms that round.
   */
  private record CancellingBatchNorm(float[] gamma, float[] beta, float[] mean,
      float[] variance) {

    static CancellingBatchNorm random(Random random, int n) {
      float[] gamma = OutwardRoundingTest.floats(random, n, 2f);
      float[] mean = OutwardRoundingTest.floats(random, n, (float) Math.pow(10, random.nextInt(4)));
      float[] variance = new float[n];
      float[] beta = new float[n];
      for (int j = 0; j < n; j++) {
        variance[j] = 0.01f + 4 * random.nextFloat();
        double scale = gamma[j] / Math.sqrt(variance[j] + 1e-5f);
        beta[j] = random.nextBoolean() ? (float) (mean[j] * scale) : (float) random.nextGaussian();
      }
      return new CancellingBatchNorm(gamma, beta, mean, variance);
    }

    BatchNorm layer(NDManager scope) {
      return new BatchNorm(scope.create(gamma), scope.create(beta), scope.create(mean),
          scope.create(variance), 1e-5f, 0.1f);
    }

    Interval[] exact(Interval[] x, int spatial) {
      return ExactIntervals.batchNorm(x, spatial, gamma, beta, mean, variance, 1e-5f);
    }
  }

  private static double[] margins(LinearBoundDomain domain, Network net, NDManager scope,
      double[] x, double eps, int target) {
    NDArray point = scope.create(x, new Shape(1, x.length));
    return domain.lowerBounds(net, InputSet.LinfBall.pixels(point, eps),
        new Specification.Margins(scope.create(new long[] {target})), EVAL)
        .toType(DataType.FLOAT64, false).toDoubleArray();
  }

  private static void assertBelow(double[] computed, BigDecimal[] exact, int target,
      String what) {
    for (int k = 0; k < computed.length; k++) {
      if (k != target) {
        assertTrue(new BigDecimal(computed[k]).compareTo(exact[k]) <= 0, what + ", margin "
            + target + " - " + k + ": computed " + computed[k] + " above exact "
            + exact[k].doubleValue());
      }
    }
  }

  private static double[] points(Random random, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = random.nextFloat();
    }
    return x;
  }
}
