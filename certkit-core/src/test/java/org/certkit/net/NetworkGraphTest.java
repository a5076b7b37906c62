package org.certkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.Checkpoint;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graph networks: validation, evaluation order against a hand-written forward, checkpoints. */
class NetworkGraphTest extends EngineTest {

  @TempDir Path dir;
  /** A node reading a later node, an Add with one input, a dead node: each refused by name. */
  @Test
  void invalidGraphsAreRefused() {
    List<Layer> three = List.of(new Relu(), new Relu(), new Relu());
    IllegalArgumentException forward = assertThrows(IllegalArgumentException.class,
        () -> new Network("g", new Shape(2), three,
            List.of(new int[] {Network.INPUT}, new int[] {2}, new int[] {1}), manager));
    assertTrue(forward.getMessage().contains("node 1 reads node 2"), forward.getMessage());
    IllegalArgumentException add = assertThrows(IllegalArgumentException.class,
        () -> new Network("g", new Shape(2), List.of(new Relu(), new Add()),
            List.of(new int[] {Network.INPUT}, new int[] {0}), manager));
    assertTrue(add.getMessage().contains("needs 2"), add.getMessage());
    IllegalArgumentException dead = assertThrows(IllegalArgumentException.class,
        () -> new Network("g", new Shape(2), three,
            List.of(new int[] {Network.INPUT}, new int[] {Network.INPUT}, new int[] {1}),
            manager));
    assertTrue(dead.getMessage().contains("node 0"), dead.getMessage());
  }

  /**
   * The residual test network's logits equal a forward pass written out by hand in double
   * arithmetic from its weights: {@code z = relu(h + W3 relu(W2 h + b2) + b3)}, {@code h =
   * relu(W1 x' + b1)}.
   */
  @Test
  void residualForwardMatchesHandComputation() {
    try (Network net = TinyNetworks.residual(manager, 3)) {
      assertFalse(net.isChain());
      NDArray x = TinyNetworks.inputs(manager, net, 5);
      double[] logits = ConcreteDomain.forward(net, x, BatchStatistics.evaluation())
          .toDoubleArray();
      double[] pixels = x.toDoubleArray();
      Normalize norm = (Normalize) net.layers().get(0);
      Linear l1 = (Linear) net.layers().get(2);
      Linear l2 = (Linear) net.layers().get(4);
      Linear l3 = (Linear) net.layers().get(6);
      Linear out = (Linear) net.layers().get(9);
      for (int n = 0; n < 5; n++) {
        double[] v = new double[4];
        for (int i = 0; i < 4; i++) {
          v[i] = (pixels[n * 4 + i] - norm.mean()[0]) / norm.std()[0];
        }
        double[] h = relu(affine(l1, v));
        double[] z = affine(l3, relu(affine(l2, h)));
        for (int i = 0; i < z.length; i++) {
          z[i] = Math.max(0, z[i] + h[i]);
        }
        double[] y = affine(out, z);
        for (int k = 0; k < 3; k++) {
          assertEquals(y[k], logits[n * 3 + k], 1e-9, "example " + n + " logit " + k);
        }
      }
    }
  }

  /** A graph checkpoint reloads with the same edges and the same outputs, bit for bit. */
  @Test
  void graphCheckpointRoundTrips() throws Exception {
    try (Network net = Architectures.build(Architectures.Spec.of("resnet2b"),
        TinyNetworks.EIGHT_BY_EIGHT, Initialization.DEFAULT, 4, manager)) {
      Path file = dir.resolve("resnet.ckpt");
      Checkpoint.save(file, net, java.util.Map.of(), null);
      try (Network loaded = Checkpoint.load(file, manager).network()) {
        assertFalse(loaded.isChain());
        for (int i = 0; i < net.layers().size(); i++) {
          assertEquals(java.util.Arrays.toString(net.inputs(i)),
              java.util.Arrays.toString(loaded.inputs(i)), "node " + i);
        }
        NDArray x = TinyNetworks.inputs(manager, net, 3);
        assertEquals(java.util.Arrays.toString(ConcreteDomain.forward(net, x,
                BatchStatistics.evaluation()).toDoubleArray()),
            java.util.Arrays.toString(ConcreteDomain.forward(loaded, x,
                BatchStatistics.evaluation()).toDoubleArray()));
      }
    }
  }

  /** Pooling, Sigmoid and Tanh layers reload from a checkpoint with the same outputs. */
  @Test
  void poolingAndSmoothLayersRoundTrip() throws Exception {
    try (Network net = TinyNetworks.smooth(manager, 6)) {
      Path file = dir.resolve("smooth.ckpt");
      Checkpoint.save(file, net, java.util.Map.of(), null);
      try (Network loaded = Checkpoint.load(file, manager).network()) {
        assertEquals(net.summary(), loaded.summary());
        NDArray x = TinyNetworks.inputs(manager, net, 3);
        assertEquals(java.util.Arrays.toString(ConcreteDomain.forward(net, x,
                BatchStatistics.evaluation()).toDoubleArray()),
            java.util.Arrays.toString(ConcreteDomain.forward(loaded, x,
                BatchStatistics.evaluation()).toDoubleArray()));
      }
    }
  }

  private static double[] affine(Linear l, double[] v) {
    float[] w = l.weight().toFloatArray();
    float[] b = l.bias().toFloatArray();
    double[] y = new double[b.length];
    for (int j = 0; j < b.length; j++) {
      y[j] = b[j];
      for (int i = 0; i < v.length; i++) {
        y[j] += w[j * v.length + i] * v[i];
      }
    }
    return y;
  }

  private static double[] relu(double[] v) {
    double[] y = v.clone();
    for (int i = 0; i < y.length; i++) {
      y[i] = Math.max(0, y[i]);
    }
    return y;
  }
}
