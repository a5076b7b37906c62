package org.certkit.tightness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalTightnessTest extends EngineTest {

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(3);
  }

  /** Non-negative weights make every product sign-consistent: tightness is exactly 1. */
  @Test
  void nonNegativeWeightsAreTight() {
    try (Network net = TinyNetworks.fc(manager, 4)) {
      for (Layer layer : net.layers()) {
        if (layer instanceof Linear l) {
          l.weight().set(l.weight().abs().toFloatArray());
        }
      }
      NDArray x = TinyNetworks.inputs(manager, net, 6);
      NDArray tightness = LocalTightness.perDimension(net, x, null, 0);
      assertEquals(1.0, tightness.min().getDouble(), 1e-12);
    }
  }

  /**
   * With every ReLU active the network is the deep linear network of its weights, so local
   * tightness equals the global tightness |C W3 W2 W1 S| 1 / (|C W3| |W2| |W1| S) 1 computed here
   * from explicit matrices (S = 1/std of the normalisation).
   */
  @Test
  void allActiveReluNetEqualsGlobalTightnessOfItsLinearNetwork() {
    try (Network net = TinyNetworks.fc(manager, 8)) {
      List<Linear> linears = linears(net);
      for (Linear l : linears.subList(0, linears.size() - 1)) {
        l.bias().set(l.bias().onesLike().mul(20).toFloatArray());
      }
      NDArray x = TinyNetworks.inputs(manager, net, 5);
      NDArray labels = manager.create(new long[] {0, 1, 2, 0, 1});
      double[] actual = LocalTightness.perDimension(net, x, labels, 0).toDoubleArray();
      double std = 0.4;
      double[][] product = identity(4);
      double[][] layerwise = identity(4);
      for (Linear l : linears.subList(0, linears.size() - 1)) {
        product = multiply(matrix(l.weight()), product);
        layerwise = multiply(abs(matrix(l.weight())), layerwise);
      }
      double[][] last = matrix(linears.getLast().weight());
      long[] label = labels.toLongArray();
      for (int i = 0; i < 5; i++) {
        for (int k = 0; k < 3; k++) {
          if (k == label[i]) {
            assertTrue(Double.isNaN(actual[i * 3 + k]));
            continue;
          }
          double[] c = new double[last[0].length];
          for (int j = 0; j < c.length; j++) {
            c[j] = last[k][j] - last[(int) label[i]][j];
          }
          double optimal = 0;
          double ibp = 0;
          for (int p = 0; p < 4; p++) {
            double o = 0;
            double l = 0;
            for (int j = 0; j < c.length; j++) {
              o += c[j] * product[j][p];
              l += Math.abs(c[j]) * layerwise[j][p];
            }
            optimal += Math.abs(o) / std;
            ibp += l / std;
          }
          assertEquals(optimal / ibp, actual[i * 3 + k], 1e-5);
        }
      }
    }
  }

  /** Inactive units are masked out of both slopes: compare with explicit masked matrices. */
  @Test
  void masksInactiveUnitsLikeExplicitMatrices() {
    try (Network net = TinyNetworks.fc(manager, 12)) {
      NDArray x = TinyNetworks.inputs(manager, net, 1);
      double[] input = x.toDoubleArray();
      List<Linear> linears = linears(net);
      double[] h = new double[4];
      for (int p = 0; p < 4; p++) {
        h[p] = (input[p] - 0.3) / 0.4;
      }
      double[][] product = identity(4);
      double[][] layerwise = identity(4);
      int inactive = 0;
      for (Linear l : linears.subList(0, linears.size() - 1)) {
        double[][] w = matrix(l.weight());
        double[] b = l.bias().toType(DataType.FLOAT64, false).toDoubleArray();
        double[] next = new double[w.length];
        for (int j = 0; j < w.length; j++) {
          double s = b[j];
          for (int q = 0; q < h.length; q++) {
            s += w[j][q] * h[q];
          }
          boolean on = s > 0;
          inactive += on ? 0 : 1;
          next[j] = on ? s : 0;
          for (int q = 0; q < w[j].length; q++) {
            w[j][q] = on ? w[j][q] : 0;
          }
        }
        h = next;
        product = multiply(w, product);
        layerwise = multiply(abs(w), layerwise);
      }
      assertTrue(inactive > 0, "the test needs some inactive units");
      double[][] last = matrix(linears.getLast().weight());
      double[] actual = LocalTightness.perDimension(net, x, null, 0).toDoubleArray();
      for (int k = 0; k < 3; k++) {
        double optimal = 0;
        double ibp = 0;
        for (int p = 0; p < 4; p++) {
          double o = 0;
          double l = 0;
          for (int j = 0; j < last[k].length; j++) {
            o += last[k][j] * product[j][p];
            l += Math.abs(last[k][j]) * layerwise[j][p];
          }
          optimal += Math.abs(o);
          ibp += l;
        }
        assertEquals(Math.max(optimal, 1e-8) / Math.max(ibp, 1e-8), actual[k], 1e-5);
      }
    }
  }

  /** On a CNN with BatchNorm, tightness is defined, in (0, 1], and below 1 at initialisation. */
  @Test
  void convNetWithBatchNormGivesTightnessInUnitInterval() {
    try (Network net = TinyNetworks.convBn(manager, 2)) {
      NDArray x = TinyNetworks.inputs(manager, net, 4).toType(DataType.FLOAT32, false);
      NDArray labels = manager.create(new long[] {0, 1, 2, 3});
      double[] perExample = LocalTightness.perExample(net, x, labels, 0.1,
          LocalTightness.Activations.LOCAL);
      for (double t : perExample) {
        assertTrue(t > 0 && t < 1, "tightness " + t);
      }
    }
  }

  private static List<Linear> linears(Network net) {
    List<Linear> out = new ArrayList<>();
    for (Layer layer : net.layers()) {
      if (layer instanceof Linear l) {
        out.add(l);
      }
    }
    return out;
  }

  private static double[][] matrix(NDArray weight) {
    int rows = (int) weight.getShape().get(0);
    int cols = (int) weight.getShape().get(1);
    double[] flat = weight.toType(DataType.FLOAT64, false).toDoubleArray();
    double[][] out = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(flat, i * cols, out[i], 0, cols);
    }
    return out;
  }

  private static double[][] identity(int n) {
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      out[i][i] = 1;
    }
    return out;
  }

  private static double[][] abs(double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].clone();
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = Math.abs(out[i][j]);
      }
    }
    return out;
  }

  private static double[][] multiply(double[][] a, double[][] b) {
    double[][] out = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int k = 0; k < b.length; k++) {
        for (int j = 0; j < b[0].length; j++) {
          out[i][j] += a[i][k] * b[k][j];
        }
      }
    }
    return out;
  }
}
