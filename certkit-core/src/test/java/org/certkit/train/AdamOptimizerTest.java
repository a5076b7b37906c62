package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.certkit.internal.EngineMemory;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class AdamOptimizerTest extends EngineTest {

  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  /** Large enough that where epsilon enters the denominator changes the result measurably. */
  private static final float EPSILON = 1e-3f;
  private static final float[] LEARNING_RATES = {0.1f, 0.05f};

  private static final float[] WEIGHT = {0.5f, -0.25f, 1.0f, 0.75f, -1.5f, 0.125f};
  private static final float[] BIAS = {0.2f, -0.3f};
  /** Two steps of gradients, mixing magnitudes well above, near and below epsilon. */
  private static final float[][] WEIGHT_GRADIENTS = {
    {1.0f, -2e-3f, 5e-4f, -0.3f, 0f, 4.0f},
    {-0.5f, 1e-3f, 5e-4f, 0.3f, 2e-4f, -1.0f}
  };
  private static final float[][] BIAS_GRADIENTS = {{0.7f, -1e-4f}, {0.7f, 3e-3f}};

  /**
   * Two updates match Adam computed by hand in double precision with epsilon added to
   * {@code sqrt(v)} before the bias-corrected step {@code lr sqrt(1 - b2^t) / (1 - b1^t)}, and not
   * the variant that adds epsilon to the bias-corrected {@code sqrt(v / (1 - b2^t))}.
   */
  @Test
  void twoStepsMatchAdamByHand() {
    try (Network net = linearNetwork(); AdamOptimizer adam = new AdamOptimizer(net, BETA1, BETA2,
        EPSILON)) {
      for (Network.NamedArray p : net.parameters()) {
        assertTrue(adam.updatesInPlace(p.array()), p.name() + " takes the engine kernel");
      }
      for (int t = 0; t < 2; t++) {
        step(adam, net, t);
      }
      assertEquals(2, adam.step());
      float[] w = net.parameters().get(0).array().toFloatArray();
      float[] b = net.parameters().get(1).array().toFloatArray();
      assertClose(adamByHand(WEIGHT, WEIGHT_GRADIENTS, false), w, "weight");
      assertClose(adamByHand(BIAS, BIAS_GRADIENTS, false), b, "bias");
      // The other epsilon placement gives clearly different weights, so the check above can fail.
      double[] other = adamByHand(WEIGHT, WEIGHT_GRADIENTS, true);
      double maxDifference = 0;
      for (int i = 0; i < w.length; i++) {
        maxDifference = Math.max(maxDifference, Math.abs(other[i] - w[i]));
      }
      assertTrue(maxDifference > 1e-3, "epsilon placement not distinguishable: " + maxDifference);
    }
  }

  /**
   * With coupled weight decay {@code lambda}, two updates match Adam by hand on the gradient
   * {@code g + lambda w} (w the weight before each step), as torch's {@code Adam(weight_decay)}
   * does; they differ clearly from the updates without decay, and the caller's gradient arrays
   * are left as they were.
   */
  @Test
  void weightDecayAddsTheL2GradientBeforeTheMoments() {
    float lambda = 0.2f;
    try (Network net = linearNetwork(); Network plain = linearNetwork();
        AdamOptimizer adam = new AdamOptimizer(net, BETA1, BETA2, EPSILON, lambda);
        AdamOptimizer without = new AdamOptimizer(plain, BETA1, BETA2, EPSILON)) {
      assertEquals(lambda, adam.weightDecay());
      for (int t = 0; t < 2; t++) {
        try (NDManager step = manager.newSubManager()) {
          NDArray gw = step.create(WEIGHT_GRADIENTS[t], new Shape(2, 3));
          NDArray gb = step.create(BIAS_GRADIENTS[t], new Shape(2));
          adam.update(net.parameters(), List.of(gw, gb), LEARNING_RATES[t]);
          assertArrayEquals(WEIGHT_GRADIENTS[t], gw.toFloatArray(), 0f, "gradient modified");
        }
        step(without, plain, t);
      }
      float[] w = net.parameters().get(0).array().toFloatArray();
      float[] b = net.parameters().get(1).array().toFloatArray();
      // A weight that decays to near 0 keeps the float32 rounding of its start: 1e-7 absolute.
      assertClose(adamByHand(WEIGHT, WEIGHT_GRADIENTS, false, lambda), w, 1e-7, "weight");
      assertClose(adamByHand(BIAS, BIAS_GRADIENTS, false, lambda), b, 1e-7, "bias");
      float[] undecayed = plain.parameters().get(0).array().toFloatArray();
      double maxDifference = 0;
      for (int i = 0; i < w.length; i++) {
        maxDifference = Math.max(maxDifference, Math.abs(undecayed[i] - w[i]));
      }
      assertTrue(maxDifference > 1e-2, "decay made no visible difference: " + maxDifference);
    }
  }

  /**
   * The engine's fused kernel, which takes the parameters the in-place pass cannot, gives the
   * in-place pass's weights and moments within float32 rounding over three steps with weight
   * decay; a weight that is a non-contiguous view is detected and left to the kernel.
   */
  @Test
  void engineKernelAndInPlacePassAgree() {
    float lambda = 0.1f;
    try (Network a = linearNetwork(); Network b = linearNetwork();
        AdamOptimizer inPlace = new AdamOptimizer(a, BETA1, BETA2, EPSILON, lambda);
        AdamOptimizer kernel = new AdamOptimizer(b, BETA1, BETA2, EPSILON, lambda);
        NDManager views = manager.newSubManager()) {
      kernel.useEngineKernelOnly();
      for (int t = 0; t < 3; t++) {
        step(inPlace, a, t % 2);
        step(kernel, b, t % 2);
      }
      for (int p = 0; p < 2; p++) {
        assertArrayEquals(b.parameters().get(p).array().toFloatArray(),
            a.parameters().get(p).array().toFloatArray(), 1e-6f, "parameter " + p);
      }
      for (Map.Entry<String, NDArray> e : kernel.state().entrySet()) {
        assertArrayEquals(e.getValue().toFloatArray(),
            inPlace.state().get(e.getKey()).toFloatArray(), 1e-6f, e.getKey());
      }
      NDArray transposed = views.create(WEIGHT, new Shape(2, 3)).transpose();
      assertFalse(EngineMemory.sharesMemory(transposed), "a transposed view is not contiguous");
      assertTrue(EngineMemory.sharesMemory(views.create(WEIGHT, new Shape(2, 3))));
      assertArrayEquals(WEIGHT, transposed.transpose().toFloatArray(), 0f, "probe changed it");
    }
  }

  /**
   * An update with gradient scale {@code s} is the update of the gradients {@code s g} made by
   * hand, on both routes (in place and engine kernel), with and without weight decay.
   */
  @Test
  void gradientScaleIsTheUpdateOfScaledGradients() {
    float s = 0.25f;
    for (float lambda : new float[] {0f, 0.1f}) {
      for (boolean kernelOnly : new boolean[] {false, true}) {
        try (Network a = linearNetwork(); Network b = linearNetwork();
            AdamOptimizer scaled = new AdamOptimizer(a, BETA1, BETA2, EPSILON, lambda);
            AdamOptimizer byHand = new AdamOptimizer(b, BETA1, BETA2, EPSILON, lambda);
            NDManager step = manager.newSubManager()) {
          if (kernelOnly) {
            scaled.useEngineKernelOnly();
            byHand.useEngineKernelOnly();
          }
          float[] w = WEIGHT_GRADIENTS[0].clone();
          float[] bias = BIAS_GRADIENTS[0].clone();
          NDArray gw = step.create(w, new Shape(2, 3));
          NDArray gb = step.create(bias, new Shape(2));
          for (int i = 0; i < w.length; i++) {
            w[i] *= s;
          }
          for (int i = 0; i < bias.length; i++) {
            bias[i] *= s;
          }
          scaled.update(a.parameters(), List.of(gw, gb), LEARNING_RATES[0], s);
          byHand.update(b.parameters(), List.of(step.create(w, new Shape(2, 3)),
              step.create(bias, new Shape(2))), LEARNING_RATES[0]);
          String name = "lambda " + lambda + (kernelOnly ? ", engine kernel" : ", in place");
          for (int p = 0; p < 2; p++) {
            assertArrayEquals(b.parameters().get(p).array().toFloatArray(),
                a.parameters().get(p).array().toFloatArray(), 1e-6f, name + ", parameter " + p);
          }
          assertArrayEquals(WEIGHT_GRADIENTS[0], gw.toFloatArray(), 0f, "gradient modified");
          // Scaling matters: the unscaled update differs.
          try (Network c = linearNetwork();
              AdamOptimizer unscaled = new AdamOptimizer(c, BETA1, BETA2, EPSILON, lambda)) {
            unscaled.update(c.parameters(), List.of(gw, gb), LEARNING_RATES[0]);
            assertFalse(java.util.Arrays.equals(c.parameters().get(0).array().toFloatArray(),
                a.parameters().get(0).array().toFloatArray()), name);
          }
        }
      }
    }
  }

  /** A negative or infinite decay is rejected with the value in the message. */
  @Test
  void rejectsInvalidWeightDecay() {
    try (Network net = linearNetwork()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new AdamOptimizer(net, BETA1, BETA2, EPSILON, -0.5f));
      assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> new AdamOptimizer(net, BETA1, BETA2, EPSILON, Float.POSITIVE_INFINITY));
    }
  }

  /** The moments after two steps are the exponential averages of g and g^2 (not bias-corrected). */
  @Test
  void momentsAreTheRawExponentialAverages() {
    try (Network net = linearNetwork(); AdamOptimizer adam = new AdamOptimizer(net, BETA1, BETA2,
        EPSILON)) {
      step(adam, net, 0);
      step(adam, net, 1);
      Map<String, NDArray> state = adam.state();
      float[] m = state.get("adam.m.0.weight").toFloatArray();
      float[] v = state.get("adam.v.0.weight").toFloatArray();
      for (int i = 0; i < WEIGHT.length; i++) {
        double g1 = WEIGHT_GRADIENTS[0][i];
        double g2 = WEIGHT_GRADIENTS[1][i];
        double expectedM = BETA1 * (1 - BETA1) * g1 + (1 - BETA1) * g2;
        double expectedV = BETA2 * (1 - BETA2) * g1 * g1 + (1 - BETA2) * g2 * g2;
        assertEquals(expectedM, m[i], 1e-6 * Math.abs(expectedM) + 1e-12, "m[" + i + "]");
        assertEquals(expectedV, v[i], 1e-5 * Math.abs(expectedV) + 1e-15, "v[" + i + "]");
      }
    }
  }

  /**
   * A second optimiser restored from the first one's state and step count continues exactly as the
   * first: after one more identical update both networks are bit-identical; without the restore
   * they are not.
   */
  @Test
  void stateAndRestoreContinueIdentically() {
    try (Network first = linearNetwork();
        AdamOptimizer adam = new AdamOptimizer(first, BETA1, BETA2, EPSILON)) {
      step(adam, first, 0);
      float[] weightAfterOne = first.parameters().get(0).array().toFloatArray();
      float[] biasAfterOne = first.parameters().get(1).array().toFloatArray();
      Map<String, NDArray> saved = adam.state();
      assertEquals(List.of("adam.m.0.weight", "adam.m.0.bias", "adam.v.0.weight",
          "adam.v.0.bias"), List.copyOf(saved.keySet()));
      try (Network second = linearNetwork(weightAfterOne, biasAfterOne);
          Network third = linearNetwork(weightAfterOne, biasAfterOne);
          AdamOptimizer restored = new AdamOptimizer(second, BETA1, BETA2, EPSILON);
          AdamOptimizer fresh = new AdamOptimizer(third, BETA1, BETA2, EPSILON)) {
        restored.restore(saved, adam.step());
        assertEquals(1, restored.step());
        step(adam, first, 1);
        step(restored, second, 1);
        step(fresh, third, 1);
        for (int p = 0; p < 2; p++) {
          assertArrayEquals(first.parameters().get(p).array().toFloatArray(),
              second.parameters().get(p).array().toFloatArray(), 0f, "parameter " + p);
        }
        for (Map.Entry<String, NDArray> e : adam.state().entrySet()) {
          assertArrayEquals(e.getValue().toFloatArray(),
              restored.state().get(e.getKey()).toFloatArray(), 0f, e.getKey());
        }
        assertFalse(java.util.Arrays.equals(first.parameters().get(0).array().toFloatArray(),
            third.parameters().get(0).array().toFloatArray()),
            "an optimiser without the restored state should differ");
      }
    }
  }

  /** Restoring from a state that lacks a moment is rejected, naming it. */
  @Test
  void restoreRejectsMissingState() {
    try (Network net = linearNetwork(); AdamOptimizer adam = new AdamOptimizer(net)) {
      Map<String, NDArray> partial = new java.util.LinkedHashMap<>(adam.state());
      partial.remove("adam.v.0.bias");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> adam.restore(partial, 3));
      assertTrue(e.getMessage().contains("adam.v.0.bias"), e.getMessage());
    }
  }

  /** Applies gradient step {@code t} (0 or 1) with its learning rate. */
  private void step(AdamOptimizer adam, Network net, int t) {
    try (NDManager step = manager.newSubManager()) {
      NDArray gw = step.create(WEIGHT_GRADIENTS[t], new Shape(2, 3));
      NDArray gb = step.create(BIAS_GRADIENTS[t], new Shape(2));
      adam.update(net.parameters(), List.of(gw, gb), LEARNING_RATES[t]);
    }
  }

  /**
   * Adam in double precision. {@code epsilonAfterCorrection} false: {@code w -= lr sqrt(1-b2^t) /
   * (1-b1^t) m / (sqrt(v) + eps)}; true: {@code w -= lr / (1-b1^t) m / (sqrt(v / (1-b2^t)) + eps)}
   * (the form of torch.optim.Adam).
   */
  private static double[] adamByHand(float[] initial, float[][] gradients,
      boolean epsilonAfterCorrection) {
    return adamByHand(initial, gradients, epsilonAfterCorrection, 0);
  }

  /** As above, on the gradient {@code g + lambda w} with {@code w} the weight before the step. */
  private static double[] adamByHand(float[] initial, float[][] gradients,
      boolean epsilonAfterCorrection, double lambda) {
    double b1 = BETA1;
    double b2 = BETA2;
    double eps = EPSILON;
    double[] w = new double[initial.length];
    double[] m = new double[initial.length];
    double[] v = new double[initial.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = initial[i];
    }
    for (int t = 1; t <= gradients.length; t++) {
      double lr = LEARNING_RATES[t - 1];
      double c1 = 1 - Math.pow(b1, t);
      double c2 = 1 - Math.pow(b2, t);
      for (int i = 0; i < w.length; i++) {
        double g = gradients[t - 1][i] + lambda * w[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        w[i] -= epsilonAfterCorrection
            ? lr / c1 * m[i] / (Math.sqrt(v[i] / c2) + eps)
            : lr * Math.sqrt(c2) / c1 * m[i] / (Math.sqrt(v[i]) + eps);
      }
    }
    return w;
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    assertClose(expected, actual, 0, what);
  }

  private static void assertClose(double[] expected, float[] actual, double absolute,
      String what) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-6 * Math.abs(expected[i]) + absolute,
          what + "[" + i + "]");
    }
  }

  private Network linearNetwork() {
    return linearNetwork(WEIGHT, BIAS);
  }

  /** The network {@code x W^T + b} with W {@code [2, 3]}, arrays in a sub-manager it owns. */
  private Network linearNetwork(float[] weight, float[] bias) {
    NDManager sub = manager.newSubManager();
    Linear linear = new Linear(sub.create(weight, new Shape(2, 3)), sub.create(bias, new Shape(2)));
    return new Network("linear", new Shape(3), List.of(linear), sub);
  }
}
