package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.math.BigDecimal;
import java.util.List;
import java.util.Random;
import org.certkit.domain.ExactIntervals.Interval;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

/**
 * Each rule of {@link IntervalDomain.Rounding#OUTWARD} against exact arithmetic: the float64 box
 * a rule returns contains the exact image of the box it was given, on hundreds of random cases
 * built so that rounding matters (sums that cancel to nearly zero, BatchNorm means far larger
 * than the result, products that underflow). Removing any one allowance, or making it 10^6 times
 * smaller, makes one of these tests fail (docs/soundness.md lists the check).
 */
class OutwardRoundingTest extends EngineTest {

  private static final int TRIALS = 400;
  private static final BatchStatistics EVAL = BatchStatistics.evaluation();
  private final IntervalDomain domain = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);
  /** The widened input ball contains the exact ball {@code [max(x - eps, 0), min(x + eps, 1)]}. */
  @Test
  void inputBallContainsExactBall() {
    Random random = new Random(1);
    try (Network flatten = new Network("flatten", new Shape(6), List.of(new Flatten()),
        manager.newSubManager())) {
      for (int t = 0; t < TRIALS; t++) {
        double[] x = new double[6];
        for (int i = 0; i < x.length; i++) {
          x[i] = random.nextFloat();
        }
        double eps = random.nextDouble() * Math.pow(10, -random.nextInt(8));
        try (NDManager scope = manager.newSubManager()) {
          Box out = domain.propagate(flatten, Box.linfBall(scope.create(x, new Shape(1, 6)), eps),
              EVAL);
          ExactIntervals.assertContains(out.centre().toDoubleArray(),
              out.radius().toDoubleArray(), ExactIntervals.linfBall(x, eps),
              "input ball, trial " + t);
        }
      }
    }
  }

  /** Linear layers, with sums that cancel and with products that underflow. */
  @Test
  void linearContainsExactImage() {
    Random random = new Random(2);
    for (int t = 0; t < TRIALS; t++) {
      int in = 1 + random.nextInt(8);
      int out = 1 + random.nextInt(4);
      double scale = t % 10 == 0 ? 0x1p-1000 : Math.pow(10, random.nextInt(7) - 3);
      double[] c = values(random, in, scale);
      double[] r = radii(random, in, scale);
      float[] w = floats(random, out * in, t % 10 == 0 ? 0x1p-60f : 1f);
      float[] b = new float[out];
      for (int j = 0; j < out; j++) {
        double sum = 0;
        for (int i = 0; i < in; i++) {
          sum += w[j * in + i] * c[i];
        }
        b[j] = random.nextBoolean() ? (float) -sum : (float) (sum * random.nextGaussian());
      }
      try (NDManager scope = manager.newSubManager()) {
        Linear layer = new Linear(scope.create(w, new Shape(out, in)), scope.create(b));
        check(layer, scope, c, r, new Shape(1, in), ExactIntervals.linear(
            ExactIntervals.ofBox(c, r), w, b), "linear, trial " + t);
      }
    }
  }

  /** Convolutions with stride 1 and 2, padding 0 and 1, and biases that cancel the sums. */
  @Test
  void conv2dContainsExactImage() {
    Random random = new Random(3);
    int channels = 2;
    int size = 4;
    int k = 3;
    for (int t = 0; t < TRIALS / 4; t++) {
      int stride = 1 + t % 2;
      int padding = (t / 2) % 2;
      int out = 2;
      double scale = Math.pow(10, random.nextInt(5) - 2);
      double[] c = values(random, channels * size * size, scale);
      double[] r = radii(random, c.length, scale);
      float[] w = floats(random, out * channels * k * k, 1f);
      float[] b = new float[out];
      for (int o = 0; o < out; o++) {
        b[o] = (float) (-scale * random.nextGaussian());
      }
      try (NDManager scope = manager.newSubManager()) {
        Conv2d layer = new Conv2d(scope.create(w, new Shape(out, channels, k, k)),
            scope.create(b), stride, padding);
        check(layer, scope, c, r, new Shape(1, channels, size, size), ExactIntervals.conv2d(
            ExactIntervals.ofBox(c, r), channels, size, size, w, b, k, stride, padding),
            "conv2d stride " + stride + " padding " + padding + ", trial " + t);
      }
    }
  }

  /** ReLU on boxes whose ends round ({@code c - r} and {@code c + r} are not exact). */
  @Test
  void reluContainsExactImage() {
    Random random = new Random(4);
    for (int t = 0; t < TRIALS; t++) {
      double scale = Math.pow(10, random.nextInt(7) - 3);
      double[] c = values(random, 6, scale);
      double[] r = radii(random, 6, scale);
      try (NDManager scope = manager.newSubManager()) {
        check(new Relu(), scope, c, r, new Shape(1, 6),
            ExactIntervals.relu(ExactIntervals.ofBox(c, r)), "relu, trial " + t);
      }
    }
  }

  /** Normalize with means close to the inputs, so that {@code x - mean} cancels. */
  @Test
  void normalizeContainsExactImage() {
    Random random = new Random(5);
    int spatial = 4;
    for (int t = 0; t < TRIALS; t++) {
      float[] mean = {random.nextFloat(), random.nextFloat()};
      float[] std = {0.05f + random.nextFloat(), 0.05f + random.nextFloat()};
      double[] c = new double[2 * spatial];
      for (int i = 0; i < c.length; i++) {
        c[i] = mean[i / spatial] + random.nextGaussian() * Math.pow(10, -random.nextInt(8));
      }
      double[] r = radii(random, c.length, 1e-3);
      try (NDManager scope = manager.newSubManager()) {
        check(new Normalize(mean, std), scope, c, r, new Shape(1, 2, 2, 2),
            ExactIntervals.normalize(ExactIntervals.ofBox(c, r), spatial, mean, std),
            "normalize, trial " + t);
      }
    }
  }

  /** Average and max pooling, stride 1 and 2, padding 0 and 1, on boxes of mixed sign. */
  @Test
  void poolingContainsExactImage() {
    Random random = new Random(10);
    int channels = 2;
    int size = 5;
    for (int t = 0; t < TRIALS / 2; t++) {
      int k = 2 + t % 2;
      int stride = 1 + (t / 2) % 2;
      int padding = (t / 4) % 2;
      double scale = Math.pow(10, random.nextInt(7) - 3);
      double[] c = values(random, channels * size * size, scale);
      double[] r = radii(random, c.length, scale);
      try (NDManager scope = manager.newSubManager()) {
        Shape shape = new Shape(1, channels, size, size);
        String window = "k" + k + " s" + stride + " p" + padding + ", trial " + t;
        check(new org.certkit.net.AvgPool(k, stride, padding), scope, c, r, shape,
            ExactIntervals.avgPool(ExactIntervals.ofBox(c, r), channels, size, k, stride,
                padding), "avgpool " + window);
        check(new org.certkit.net.MaxPool(k, stride, padding), scope, c, r, shape,
            ExactIntervals.maxPool(ExactIntervals.ofBox(c, r), channels, size, k, stride,
                padding), "maxpool " + window);
      }
    }
  }

  /**
   * Sigmoid and Tanh on boxes from near zero to saturation, against the functions evaluated in
   * BigDecimal to about 110 digits.
   */
  @Test
  void sigmoidAndTanhContainExactImage() {
    Random random = new Random(11);
    for (int t = 0; t < TRIALS / 2; t++) {
      double scale = Math.pow(10, random.nextInt(5) - 3);
      double[] c = values(random, 6, scale);
      double[] r = radii(random, 6, scale);
      try (NDManager scope = manager.newSubManager()) {
        Shape shape = new Shape(1, 6);
        check(new org.certkit.net.Sigmoid(), scope, c, r, shape, ExactIntervals.increasing(
            ExactIntervals.ofBox(c, r), ExactIntervals::sigmoid), "sigmoid, trial " + t);
        check(new org.certkit.net.Tanh(), scope, c, r, shape, ExactIntervals.increasing(
            ExactIntervals.ofBox(c, r), ExactIntervals::tanh), "tanh, trial " + t);
      }
    }
  }

  /**
   * At single exact points, the ends {@link IntervalDomain#below} and {@link IntervalDomain#above}
   * of Sigmoid and Tanh computed with StrictMath enclose the functions' exact values (BigDecimal),
   * over 5,000 points from 1e-8 to 30 in size: the function allowance is what covers
   * StrictMath's own error there.
   */
  @Test
  void strictMathEndsEncloseTheExactFunctions() {
    Random random = new Random(12);
    for (int t = 0; t < 5_000; t++) {
      double x = random.nextGaussian() * Math.pow(10, random.nextInt(10) - 8) * 3;
      BigDecimal exact = new BigDecimal(x);
      checkEnds("sigmoid", x, IntervalDomain.SIGMOID, ExactIntervals.sigmoid(exact));
      checkEnds("tanh", x, StrictMath::tanh, ExactIntervals.tanh(exact));
    }
  }

  private static void checkEnds(String name, double x,
      java.util.function.DoubleUnaryOperator f, BigDecimal exact) {
    BigDecimal lo = new BigDecimal(IntervalDomain.below(f, x, 0));
    BigDecimal hi = new BigDecimal(IntervalDomain.above(f, x, 0));
    assertTrue(lo.compareTo(exact) <= 0 && hi.compareTo(exact) >= 0, name + "(" + x
        + "): [" + lo.doubleValue() + ", " + hi.doubleValue() + "] misses "
        + exact.doubleValue() + " (computed " + f.applyAsDouble(x) + ")");
  }

  /** Add of two boxes (a residual join), with centres that cancel. */
  @Test
  void addContainsExactImage() {
    Random random = new Random(9);
    for (int t = 0; t < TRIALS; t++) {
      double scale = Math.pow(10, random.nextInt(7) - 3);
      double[] c1 = values(random, 6, scale);
      double[] r1 = radii(random, 6, scale);
      double[] c2 = new double[6];
      for (int i = 0; i < 6; i++) {
        c2[i] = random.nextBoolean() ? -c1[i] * (1 + 1e-9 * random.nextGaussian())
            : scale * random.nextGaussian();
      }
      double[] r2 = radii(random, 6, scale);
      try (NDManager scope = manager.newSubManager()) {
        Shape shape = new Shape(1, 6);
        Box out = domain.apply(new org.certkit.net.Add(), 0, List.of(
            new Box(scope.create(c1, shape), scope.create(r1, shape)),
            new Box(scope.create(c2, shape), scope.create(r2, shape))), EVAL);
        Interval[] a = ExactIntervals.ofBox(c1, r1);
        Interval[] b = ExactIntervals.ofBox(c2, r2);
        Interval[] exact = new Interval[6];
        for (int i = 0; i < 6; i++) {
          exact[i] = new Interval(a[i].lo().add(b[i].lo()), a[i].hi().add(b[i].hi()));
        }
        ExactIntervals.assertContains(out.centre().toDoubleArray(),
            out.radius().toDoubleArray(), exact, "add, trial " + t);
      }
    }
  }

  /**
   * BatchNorm with running statistics whose mean is large and whose shift nearly cancels it (the
   * case where {@code beta - mean * scale} loses everything to rounding), and ordinary cases.
   */
  @Test
  void batchNormContainsExactImage() {
    Random random = new Random(6);
    int channels = 2;
    int spatial = 3;
    for (int t = 0; t < TRIALS; t++) {
      float[] gamma = floats(random, channels, 2f);
      float[] mean = floats(random, channels, (float) Math.pow(10, random.nextInt(5)));
      float[] variance = new float[channels];
      float[] beta = new float[channels];
      double[] c = new double[channels * spatial];
      for (int ch = 0; ch < channels; ch++) {
        variance[ch] = 0.01f + 4 * random.nextFloat();
        double scale = gamma[ch] / Math.sqrt(variance[ch] + 1e-5f);
        // Inputs near zero and a shift that cancels -mean * scale: outputs near zero.
        beta[ch] = random.nextBoolean() ? (float) (mean[ch] * scale)
            : (float) random.nextGaussian();
        for (int s = 0; s < spatial; s++) {
          c[ch * spatial + s] = random.nextBoolean() ? 0
              : random.nextGaussian() * Math.pow(10, random.nextInt(5) - 2);
        }
      }
      double[] r = radii(random, c.length, 1e-2);
      try (NDManager scope = manager.newSubManager()) {
        BatchNorm layer = new BatchNorm(scope.create(gamma), scope.create(beta),
            scope.create(mean), scope.create(variance), 1e-5f, 0.1f);
        check(layer, scope, c, r, new Shape(1, channels, 1, spatial),
            ExactIntervals.batchNorm(ExactIntervals.ofBox(c, r), spatial, gamma, beta, mean,
                variance, 1e-5f), "batchnorm, trial " + t);
      }
    }
  }

  /**
   * The margin lower bounds of a last Linear layer lie below the exact minimum of
   * {@code y_t - y_k} over the input ball, with large biases whose difference is small.
   */
  @Test
  void marginLowerBoundsBelowExactMargins() {
    Random random = new Random(7);
    int in = 5;
    int classes = 3;
    for (int t = 0; t < TRIALS; t++) {
      float[] w = floats(random, classes * in, 1f);
      float[] b = new float[classes];
      float base = (float) (Math.pow(10, random.nextInt(5)) * random.nextGaussian());
      for (int k = 0; k < classes; k++) {
        b[k] = base + (float) random.nextGaussian();
      }
      double[] x = new double[in];
      for (int i = 0; i < in; i++) {
        x[i] = random.nextFloat();
      }
      double eps = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 1e-3;
      int target = random.nextInt(classes);
      try (NDManager scope = manager.newSubManager();
          Network net = new Network("fc", new Shape(in), List.of(new Flatten(),
              new Linear(scope.create(w, new Shape(classes, in)), scope.create(b))),
              manager.newSubManager())) {
        NDArray lower = domain.marginLowerBounds(net,
            Box.linfBall(scope.create(x, new Shape(1, in)), eps),
            scope.create(new long[] {target}), EVAL);
        double[] computed = lower.toDoubleArray();
        BigDecimal[] exact = ExactIntervals.marginLower(ExactIntervals.linfBall(x, eps), w, b,
            target);
        for (int k = 0; k < classes; k++) {
          if (k != target) {
            assertTrue(new BigDecimal(computed[k]).compareTo(exact[k]) <= 0, "trial " + t
                + ", margin " + target + " - " + k + ": computed " + computed[k]
                + " above exact " + exact[k].doubleValue());
          }
        }
      }
    }
  }

  /**
   * Linear output constraints {@code C y + d} (as VNNLIB gives them): with the last Linear layer
   * merged into {@code C}, and after a final ReLU (no merge), the lower bounds lie below the
   * exact minimum over the input ball, with offsets that cancel the value at the centre.
   */
  @Test
  void linearConstraintsBelowExactMinimum() {
    Random random = new Random(8);
    int in = 4;
    int classes = 3;
    int rows = 2;
    for (int t = 0; t < TRIALS; t++) {
      boolean merge = t % 2 == 0;
      float[] w = floats(random, classes * in, 1f);
      float[] b = floats(random, classes, (float) Math.pow(10, random.nextInt(4)));
      double[] x = new double[in];
      for (int i = 0; i < in; i++) {
        x[i] = random.nextFloat();
      }
      double eps = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 1e-3;
      double[] c = values(random, rows * classes, Math.pow(10, random.nextInt(5) - 2));
      BigDecimal[][] exactC = new BigDecimal[rows][classes];
      for (int s = 0; s < rows; s++) {
        for (int k = 0; k < classes; k++) {
          exactC[s][k] = new BigDecimal(c[s * classes + k]);
        }
      }
      Interval[] ball = ExactIntervals.linfBall(x, eps);
      Interval[] hidden = ExactIntervals.linear(ball, w, b);
      // Offsets that cancel C y at the centre (computed in float64: nearly, not exactly).
      double[] d = new double[rows];
      Interval[] atCentre = ExactIntervals.linear(ExactIntervals.linfBall(x, 0), w, b);
      for (int s = 0; s < rows; s++) {
        double sum = 0;
        for (int k = 0; k < classes; k++) {
          double y = atCentre[k].lo().doubleValue();
          sum += c[s * classes + k] * (merge ? y : Math.max(y, 0));
        }
        d[s] = random.nextBoolean() ? -sum : random.nextGaussian();
      }
      BigDecimal[] exactD = new BigDecimal[rows];
      for (int s = 0; s < rows; s++) {
        exactD[s] = new BigDecimal(d[s]);
      }
      BigDecimal[] exact;
      if (merge) {
        BigDecimal[][] rowsOnInput = ExactIntervals.product(exactC, w, in);
        BigDecimal[] bias = new BigDecimal[rows];
        for (int s = 0; s < rows; s++) {
          bias[s] = exactD[s];
          for (int k = 0; k < classes; k++) {
            bias[s] = bias[s].add(exactC[s][k].multiply(new BigDecimal(b[k])));
          }
        }
        exact = ExactIntervals.constraintLower(ball, rowsOnInput, bias);
      } else {
        exact = ExactIntervals.constraintLower(ExactIntervals.relu(hidden), exactC, exactD);
      }
      try (NDManager scope = manager.newSubManager();
          Network net = new Network("fc", new Shape(in), merge
              ? List.of(new Flatten(), new Linear(scope.create(w, new Shape(classes, in)),
                  scope.create(b)))
              : List.of(new Flatten(), new Linear(scope.create(w, new Shape(classes, in)),
                  scope.create(b)), new Relu()),
              manager.newSubManager())) {
        double[] computed = domain.lowerBounds(net,
            InputSet.LinfBall.pixels(scope.create(x, new Shape(1, in)), eps),
            new Specification.LinearConstraints(scope.create(c, new Shape(1, rows, classes)),
                scope.create(d, new Shape(1, rows))), EVAL).toDoubleArray();
        for (int s = 0; s < rows; s++) {
          assertTrue(new BigDecimal(computed[s]).compareTo(exact[s]) <= 0, "trial " + t
              + (merge ? " (merged)" : " (after ReLU)") + ", row " + s + ": computed "
              + computed[s] + " above exact " + exact[s].doubleValue());
        }
      }
    }
  }

  private void check(Layer layer, NDManager scope, double[] c, double[] r, Shape shape,
      Interval[] exact, String what) {
    Box out = domain.apply(layer, 0, new Box(scope.create(c, shape), scope.create(r, shape)),
        EVAL);
    ExactIntervals.assertContains(out.centre().toDoubleArray(), out.radius().toDoubleArray(),
        exact, what);
  }

  /** Gaussian values of the given scale. */
  private static double[] values(Random random, int n, double scale) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = scale * random.nextGaussian();
    }
    return v;
  }

  /** Radii: all zero (a point) in a third of the calls, else uniform up to the scale. */
  private static double[] radii(Random random, int n, double scale) {
    double[] v = new double[n];
    if (random.nextInt(3) != 0) {
      for (int i = 0; i < n; i++) {
        v[i] = scale * random.nextDouble();
      }
    }
    return v;
  }

  /** {@code n} Gaussian floats of standard deviation {@code scale}. */
  static float[] floats(Random random, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = scale * (float) random.nextGaussian();
    }
    return v;
  }
}
