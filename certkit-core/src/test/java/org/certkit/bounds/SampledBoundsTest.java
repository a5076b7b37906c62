package org.certkit.bounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class SampledBoundsTest extends EngineTest {

  /**
   * Every evaluated point (the uniform samples and the 2^n corners) lies in the sampled
   * interval, and each end is attained by one of them: the estimate is exactly min/max over
   * those points, whatever the batch size.
   */
  @Test
  void containsEveryEvaluatedPointAndAttainsItsEnds() {
    int n = 4;
    try (Network net = GaussianNetworks.fullyConnected(List.of(n, 12, 12, 2), 21, manager)) {
      Box box = GaussianNetworks.gaussianBox(net.inputShape(), 0.3, 22, manager);
      SampledBounds sampler = new SampledBounds(300, 20, 64);
      Intervals sampled = sampler.estimate(net, box, 23);
      double[][] points = concat(sampler.uniformOutputs(net, box, 300, 23),
          cornerOutputs(net, box, n));
      for (int j = 0; j < 2; j++) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double[] y : points) {
          assertTrue(sampled.lower(j) <= y[j] && y[j] <= sampled.upper(j));
          min = Math.min(min, y[j]);
          max = Math.max(max, y[j]);
        }
        assertEquals(min, sampled.lower(j), 1e-12);
        assertEquals(max, sampled.upper(j), 1e-12);
      }
      assertEquals(sampled, new SampledBounds(300, 20, 1000).estimate(net, box, 23));
      assertEquals(300 + 16, sampler.evaluations(n));
    }
  }

  /**
   * On an affine network the corners alone give the exact range {@code W c + b -/+ |W| r}; 50
   * uniform samples in 8 dimensions fall visibly short of it.
   */
  @Test
  void cornersGiveTheExactRangeOfAnAffineNetwork() {
    int n = 8;
    try (Network net = GaussianNetworks.fullyConnected(List.of(n, 3), 5, manager)) {
      Box box = GaussianNetworks.gaussianBox(net.inputShape(), 0.2, 6, manager);
      Linear linear = (Linear) net.layers().get(1);
      NDArray centre = box.centre().matMul(linear.weight().transpose()).add(linear.bias());
      NDArray radius = box.radius().matMul(linear.weight().abs().transpose());
      Intervals exact = Intervals.of(new Box(centre, radius));
      Intervals corners = new SampledBounds(0, 20, 100).estimate(net, box, 1);
      Intervals samples = new SampledBounds(50, 0, 100).estimate(net, box, 1);
      for (int j = 0; j < 3; j++) {
        assertEquals(exact.lower(j), corners.lower(j), 1e-12);
        assertEquals(exact.upper(j), corners.upper(j), 1e-12);
        assertTrue(samples.widths()[j] < 0.9 * exact.widths()[j], "samples " + samples);
      }
    }
  }

  /**
   * A 1-D input ReLU net (1-k-1) is piecewise linear with kinks at {@code -b_i / w_i}, so its
   * exact range over {@code [a, b]} is the min and max over the ends and the kinks inside. The
   * sampled interval lies inside it and, with 20000 samples, within 1e-3 of it; a tent
   * {@code 1 - |x|} whose maximum is an interior kink is included.
   */
  @Test
  void matchesTheExactRangeOfOneDimensionalReluNetworks() {
    NDManager tentManager = manager.newSubManager();
    List<Layer> tentLayers = List.of(new Flatten(),
        new Linear(tentManager.create(new double[] {1, -1}, new Shape(2, 1)),
            tentManager.zeros(new Shape(2), DataType.FLOAT64)),
        new Relu(),
        new Linear(tentManager.create(new double[] {-1, -1}, new Shape(1, 2)),
            tentManager.ones(new Shape(1), DataType.FLOAT64)));
    try (Network tent = new Network("tent", new Shape(1), tentLayers, tentManager);
        Network random = GaussianNetworks.fullyConnected(List.of(1, 40, 1), 9, manager)) {
      for (Network net : List.of(tent, random)) {
        Box box = new Box(manager.create(new double[] {0.05}, new Shape(1, 1)),
            manager.create(new double[] {1.5}, new Shape(1, 1)));
        double[] exact = exactRange(net, -1.45, 1.55);
        Intervals sampled = SampledBounds.of(20000).estimate(net, box, 4);
        assertTrue(sampled.lower(0) >= exact[0] - 1e-12 && sampled.upper(0) <= exact[1] + 1e-12,
            sampled + " outside " + exact[0] + ", " + exact[1]);
        assertEquals(exact[0], sampled.lower(0), 1e-3);
        assertEquals(exact[1], sampled.upper(0), 1e-3);
      }
      assertEquals(1, exactRange(tent, -1.45, 1.55)[1], 1e-15);
    }
  }

  @Test
  void rejectsMisuse() {
    assertThrows(IllegalArgumentException.class, () -> new SampledBounds(10, 21, 10));
    assertThrows(IllegalArgumentException.class, () -> new SampledBounds(-1, 20, 10));
    assertThrows(IllegalArgumentException.class, () -> new SampledBounds(10, 20, 0));
    try (Network net = GaussianNetworks.fullyConnected(List.of(3, 2), 1, manager)) {
      Box two = new Box(manager.zeros(new Shape(2, 3), DataType.FLOAT64),
          manager.ones(new Shape(2, 3), DataType.FLOAT64));
      assertThrows(IllegalArgumentException.class,
          () -> SampledBounds.of(10).estimate(net, two, 1));
      Box one = GaussianNetworks.gaussianBox(net.inputShape(), 0.1, 1, manager);
      assertThrows(IllegalArgumentException.class,
          () -> new SampledBounds(0, 2, 10).estimate(net, one, 1));
    }
  }

  /** Exact range of a Flatten-Linear-ReLU-Linear net on [a, b] from its kinks, in plain Java. */
  private static double[] exactRange(Network net, double a, double b) {
    double[] w1 = ((Linear) net.layers().get(1)).weight().toDoubleArray();
    double[] b1 = ((Linear) net.layers().get(1)).bias().toDoubleArray();
    double[] w2 = ((Linear) net.layers().get(3)).weight().toDoubleArray();
    double b2 = ((Linear) net.layers().get(3)).bias().toDoubleArray()[0];
    double[] range = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    java.util.List<Double> candidates = new java.util.ArrayList<>(List.of(a, b));
    for (int i = 0; i < w1.length; i++) {
      double kink = -b1[i] / w1[i];
      if (kink > a && kink < b) {
        candidates.add(kink);
      }
    }
    for (double x : candidates) {
      double y = b2;
      for (int i = 0; i < w1.length; i++) {
        y += w2[i] * Math.max(0, w1[i] * x + b1[i]);
      }
      range[0] = Math.min(range[0], y);
      range[1] = Math.max(range[1], y);
    }
    return range;
  }

  private double[][] cornerOutputs(Network net, Box box, int n) {
    double[] c = box.centre().toDoubleArray();
    double[] r = box.radius().toDoubleArray();
    double[] points = new double[(1 << n) * n];
    for (int i = 0; i < 1 << n; i++) {
      for (int d = 0; d < n; d++) {
        points[i * n + d] = c[d] + (((i >> d) & 1) == 1 ? r[d] : -r[d]);
      }
    }
    NDArray y = ConcreteDomain.forward(net, manager.create(points, new Shape(1 << n, n)),
        BatchStatistics.evaluation());
    double[][] out = new double[1 << n][];
    for (int i = 0; i < out.length; i++) {
      out[i] = y.get(i).toDoubleArray();
    }
    return out;
  }

  private static double[][] concat(double[][] a, double[][] b) {
    double[][] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
