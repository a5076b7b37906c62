package org.certkit.bounds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.junit.jupiter.api.Test;

class GaussianNetworksTest {

  /**
   * Weights have standard deviation 1/sqrt(fan in) (not variance), biases lie in
   * [-1/sqrt(fan in), 1/sqrt(fan in)], there is no Normalize layer, parameters are float64.
   */
  @Test
  void fullyConnectedWeightsHaveStandardDeviationOneOverRootFanIn() {
    try (NDManager manager = NDManager.newBaseManager();
        Network net = GaussianNetworks.fullyConnected(List.of(400, 300, 1), 3, manager)) {
      assertEquals(new Shape(400), net.inputShape());
      assertFalse(net.layers().stream().anyMatch(l -> l instanceof Normalize));
      Linear first = (Linear) net.layers().get(1);
      assertEquals(DataType.FLOAT64, first.weight().getDataType());
      double[] w = first.weight().toDoubleArray();
      double mean = 0;
      double square = 0;
      for (double v : w) {
        mean += v / w.length;
        square += v * v / w.length;
      }
      assertEquals(0, mean, 3.0 / Math.sqrt(w.length) / 20);
      assertEquals(1 / Math.sqrt(400), Math.sqrt(square - mean * mean), 0.01 / Math.sqrt(400));
      for (double b : first.bias().toDoubleArray()) {
        assertTrue(Math.abs(b) <= 1 / Math.sqrt(400), "bias " + b);
      }
      Linear last = (Linear) net.layers().getLast();
      assertEquals(new Shape(1, 300), last.weight().getShape());
      for (double b : last.bias().toDoubleArray()) {
        assertTrue(Math.abs(b) <= 1 / Math.sqrt(300), "bias " + b);
      }
    }
  }

  @Test
  void equalSeedsGiveEqualNetworks() {
    try (NDManager manager = NDManager.newBaseManager();
        Network a = GaussianNetworks.fullyConnected(List.of(5, 7, 2), 11, manager);
        Network b = GaussianNetworks.fullyConnected(List.of(5, 7, 2), 11, manager);
        Network c = GaussianNetworks.fullyConnected(List.of(5, 7, 2), 12, manager)) {
      Layer la = a.layers().get(1);
      assertArrayEquals(((Linear) la).weight().toDoubleArray(),
          ((Linear) b.layers().get(1)).weight().toDoubleArray());
      assertFalse(((Linear) la).weight().contentEquals(((Linear) c.layers().get(1)).weight()));
    }
  }

  /** The centre is standard normal and not clipped; the radius is eps everywhere. */
  @Test
  void gaussianBoxIsStandardNormalAndUnclipped() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Box box = GaussianNetworks.gaussianBox(new Shape(10000), 0.1, 5, manager);
      double[] x = box.centre().toDoubleArray();
      double mean = 0;
      double square = 0;
      for (double v : x) {
        mean += v / x.length;
        square += v * v / x.length;
      }
      assertEquals(0, mean, 0.04);
      assertEquals(1, square, 0.05);
      assertTrue(box.centre().min().getDouble() < -2 && box.centre().max().getDouble() > 2);
      assertEquals(0.1, box.radius().min().getDouble());
      assertEquals(0.1, box.radius().max().getDouble());
      assertEquals(new Shape(1, 10000), box.centre().getShape());
    }
  }

  @Test
  void convolutionalNetworkKeepsTheSideAndEndsInOneLinearLayer() {
    try (NDManager manager = NDManager.newBaseManager();
        Network net = GaussianNetworks.convolutional(2, 6, List.of(4, 5), 3, 3, 1, manager)) {
      Conv2d conv = (Conv2d) net.layers().getFirst();
      assertEquals(1, conv.padding());
      double[] w = conv.weight().toDoubleArray();
      assertEquals(4 * 2 * 9, w.length);
      NDArray x = manager.randomNormal(new Shape(4, 2, 6, 6), DataType.FLOAT64);
      NDArray y = ConcreteDomain.forward(net, x, BatchStatistics.evaluation());
      assertEquals(new Shape(4, 3), y.getShape());
      assertEquals(5 * 36, ((Linear) net.layers().getLast()).inFeatures());
    }
  }
}
