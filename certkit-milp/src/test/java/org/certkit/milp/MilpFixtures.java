package org.certkit.milp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.certkit.domain.Box;
import org.certkit.net.BatchNorm;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;

/** Networks, samples and assertions shared by the MILP tests. */
final class MilpFixtures {

  private MilpFixtures() {}

  /** A 1-input, 1-output net {@code 1 - width - width - 1} with Gaussian weights, no Normalize. */
  static Network oneDimensional(NDManager parent, long seed, int width) {
    Random random = new Random(seed);
    NDManager m = parent.newSubManager();
    List<Layer> layers = List.of(linear(m, random, 1, width), new Relu(),
        linear(m, random, width, width), new Relu(), linear(m, random, width, 1));
    return new Network("one-dimensional", new Shape(1), layers, m);
  }

  /**
   * The network of appendix E of "Expected tight bounds": {@code A1 = 1000 ones(n, n)} (or
   * {@code 1000 I} when {@code identity}), {@code b1 = -999}, {@code a2 = -10}, {@code b2 = 0}.
   */
  static Network appendixE(NDManager parent, int n, boolean identity) {
    NDManager m = parent.newSubManager();
    float[] a1 = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        a1[i * n + j] = identity && i != j ? 0 : 1000;
      }
    }
    float[] b1 = new float[n];
    Arrays.fill(b1, -999);
    float[] a2 = new float[n];
    Arrays.fill(a2, -10);
    List<Layer> layers = List.of(
        new Linear(m.create(a1, new Shape(n, n)), m.create(b1)), new Relu(),
        new Linear(m.create(a2, new Shape(1, n)), m.create(new float[] {0})));
    return new Network(identity ? "appendix-e-identity" : "appendix-e", new Shape(n), layers, m);
  }

  private static Linear linear(NDManager m, Random random, int in, int out) {
    float[] w = new float[out * in];
    float[] b = new float[out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) random.nextGaussian();
    }
    return new Linear(m.create(w, new Shape(out, in)), m.create(b));
  }

  /** Random running statistics, scale and shift for every BatchNorm layer. */
  static void randomiseBatchNorm(Network net, long seed) {
    Random random = new Random(seed);
    for (Layer layer : net.layers()) {
      if (layer instanceof BatchNorm b) {
        int c = b.channels();
        b.runningMean().set(floats(c, () -> (float) (0.3 * random.nextGaussian())));
        b.runningVar().set(floats(c, () -> (float) (0.3 + 2 * random.nextDouble())));
        b.gamma().set(floats(c, () -> (float) (3 * random.nextDouble() - 1.5)));
        b.beta().set(floats(c, () -> (float) (0.2 * random.nextGaussian())));
      }
    }
  }

  private static float[] floats(int n, java.util.function.Supplier<Float> value) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = value.get();
    }
    return out;
  }

  /**
   * Every corner of a box of at most 12 dimensions, then {@code samples} uniform points, float64,
   * shaped like the box with a batch axis in front; owned by the box's manager.
   */
  static NDArray cornersAndSamples(Box box, int samples, long seed) {
    double[] lo = box.lower().toDoubleArray();
    double[] hi = box.upper().toDoubleArray();
    int dims = lo.length;
    int corners = dims <= 12 ? 1 << dims : 0;
    double[] values = new double[(corners + samples) * dims];
    for (int c = 0; c < corners; c++) {
      for (int d = 0; d < dims; d++) {
        values[c * dims + d] = ((c >> d) & 1) == 1 ? hi[d] : lo[d];
      }
    }
    Random random = new Random(seed);
    for (int s = 0; s < samples; s++) {
      for (int d = 0; d < dims; d++) {
        values[(corners + s) * dims + d] = lo[d] + random.nextDouble() * (hi[d] - lo[d]);
      }
    }
    long[] shape = box.centre().getShape().getShape().clone();
    shape[0] = corners + samples;
    return box.centre().getManager().create(values, new Shape(shape));
  }

  /** Every row of {@code outputs} ({@code [N, K]}) lies within the bounds of each output. */
  static void assertContains(OutputBounds bounds, NDArray outputs) {
    int classes = bounds.lower().size();
    double[] y = outputs.toDoubleArray();
    for (int i = 0; i < y.length; i++) {
      int k = i % classes;
      double lower = bounds.lower().get(k).value();
      double upper = bounds.upper().get(k).value();
      assertTrue(y[i] >= lower && y[i] <= upper, "output " + k + " of point " + i / classes
          + " is " + y[i] + ", outside the MILP bounds [" + lower + ", " + upper + "]");
    }
  }

  /**
   * A grid of {@code gridPoints} points over {@code [lo, hi]} plus every kink of a
   * {@code Linear-ReLU-Linear-ReLU-Linear} net with one input: the zeros of the first layer's
   * pre-activations, and of the second layer's on each interval where the first is linear.
   */
  static double[] gridAndKinks(Network net, double lo, double hi, int gridPoints) {
    float[] w1 = ((Linear) net.layers().get(0)).weight().toFloatArray();
    float[] b1 = ((Linear) net.layers().get(0)).bias().toFloatArray();
    float[] w2 = ((Linear) net.layers().get(2)).weight().toFloatArray();
    float[] b2 = ((Linear) net.layers().get(2)).bias().toFloatArray();
    List<Double> points = new ArrayList<>();
    for (int i = 0; i <= gridPoints; i++) {
      points.add(lo + (hi - lo) * i / gridPoints);
    }
    List<Double> breaks = new ArrayList<>(List.of(lo, hi));
    for (int j = 0; j < b1.length; j++) {
      double kink = -b1[j] / (double) w1[j];
      if (kink > lo && kink < hi) {
        breaks.add(kink);
      }
    }
    breaks.sort(null);
    points.addAll(breaks);
    for (int s = 0; s + 1 < breaks.size(); s++) {
      double a = breaks.get(s);
      double b = breaks.get(s + 1);
      for (int j = 0; j < b2.length; j++) {
        double za = secondPreActivation(w1, b1, w2, b2, j, a);
        double zb = secondPreActivation(w1, b1, w2, b2, j, b);
        if (za * zb < 0) {
          points.add(a + (b - a) * za / (za - zb));
        }
      }
    }
    return points.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double secondPreActivation(float[] w1, float[] b1, float[] w2, float[] b2,
      int j, double x) {
    double z = b2[j];
    for (int i = 0; i < b1.length; i++) {
      z += w2[j * b1.length + i] * Math.max(0, w1[i] * x + b1[i]);
    }
    return z;
  }
}
