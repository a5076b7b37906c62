package org.certkit.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LayerOpsTest {

  /**
   * A float32 convolution of a 64-channel input (which runs on the channels-last copy) equals
   * the convolution summed out in plain Java loops in float64, within float32 rounding, with
   * bias, stride and padding; feeding it its own channels-last output (a second layer) gives the
   * same as feeding it a freshly packed copy of that output; the copy keeps every value.
   */
  @Test
  void multiChannelConvolutionMatchesTheLoops() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(11);
      int n = 2;
      int c = 64;
      int h = 7;
      int w = 6;
      int f = 64;
      int k = 3;
      int stride = 2;
      int padding = 1;
      NDArray x = m.randomNormal(new Shape(n, c, h, w));
      NDArray weight = m.randomNormal(new Shape(f, c, k, k));
      NDArray bias = m.randomNormal(new Shape(f));
      NDArray y = LayerOps.conv2d(x, weight, bias, stride, padding);
      float[] xs = x.toFloatArray();
      float[] ws = weight.toFloatArray();
      float[] bs = bias.toFloatArray();
      int ho = (h + 2 * padding - k) / stride + 1;
      int wo = (w + 2 * padding - k) / stride + 1;
      assertEquals(new Shape(n, f, ho, wo), y.getShape());
      float[] ys = y.toFloatArray();
      for (int e = 0; e < n; e++) {
        for (int o = 0; o < f; o++) {
          for (int i = 0; i < ho; i++) {
            for (int j = 0; j < wo; j++) {
              double sum = bs[o];
              double magnitude = Math.abs(bs[o]);
              for (int ch = 0; ch < c; ch++) {
                for (int a = 0; a < k; a++) {
                  for (int b = 0; b < k; b++) {
                    int r = i * stride - padding + a;
                    int q = j * stride - padding + b;
                    if (r >= 0 && r < h && q >= 0 && q < w) {
                      double term = (double) xs[((e * c + ch) * h + r) * w + q]
                          * ws[((o * c + ch) * k + a) * k + b];
                      sum += term;
                      magnitude += Math.abs(term);
                    }
                  }
                }
              }
              float got = ys[((e * f + o) * ho + i) * wo + j];
              String at = "at " + e + "," + o + "," + i + "," + j;
              assertEquals(sum, got, 1e-6 * magnitude + 1e-7, at);
            }
          }
        }
      }
      assertArrayEquals(xs, LayerOps.channelsLast(x).toFloatArray());
      assertArrayEquals(ys, LayerOps.channelsLast(y).toFloatArray());
      NDArray weight2 = m.randomNormal(new Shape(2, f, 2, 2));
      NDArray fromLayer = LayerOps.conv2d(y, weight2, null, 1, 0);
      NDArray fromFresh = LayerOps.conv2d(m.create(ys, y.getShape()), weight2, null, 1, 0);
      assertArrayEquals(fromFresh.toFloatArray(), fromLayer.toFloatArray(), 1e-5f);
    }
  }

  /**
   * The transposed convolution is the adjoint of the convolution: {@code <conv(x), g> = <x,
   * conv^T(g)>} for random {@code x} and {@code g}, in float64, for strides 1 to 3, kernels that
   * the stride divides and kernels it does not, paddings 0 to 2, and input sizes that leave an
   * output padding (the rows a strided convolution never reads). Float64 takes the route of
   * matrix products per kernel tap, float32 the route of plain convolutions: both are checked.
   */
  @Test
  void transposeIsTheAdjointOfTheConvolution() {
    int[][] cases = {
      // kernel, stride, padding, input height, input width
      {4, 2, 0, 28, 28}, {4, 2, 1, 14, 15}, {5, 2, 2, 8, 9}, {3, 1, 1, 7, 6}, {3, 2, 1, 9, 8},
      {4, 3, 1, 11, 10}, {2, 2, 0, 6, 7}, {1, 2, 0, 5, 5}, {3, 1, 0, 10, 10}
    };
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(5);
      for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
      for (int[] c : cases) {
        int k = c[0];
        int stride = c[1];
        int padding = c[2];
        NDArray x = m.randomNormal(new Shape(2, 3, c[3], c[4])).toType(type, false);
        NDArray weight = m.randomNormal(new Shape(4, 3, k, k)).toType(type, false);
        NDArray y = LayerOps.conv2d(x, weight, null, stride, padding);
        NDArray g = m.randomNormal(y.getShape()).toType(type, false);
        long ho = y.getShape().get(2);
        long wo = y.getShape().get(3);
        int padH = (int) (c[3] - ((ho - 1) * stride - 2L * padding + k));
        int padW = (int) (c[4] - ((wo - 1) * stride - 2L * padding + k));
        NDArray back = LayerOps.conv2dTranspose(g, weight, stride, padding, padH, padW);
        String name = type + ", k " + k + ", stride " + stride + ", padding " + padding + ", input "
            + c[3] + "x" + c[4];
        assertEquals(x.getShape(), back.getShape(), name);
        double left = y.mul(g).sum().toType(DataType.FLOAT64, false).getDouble();
        double right = x.mul(back).sum().toType(DataType.FLOAT64, false).getDouble();
        double tolerance = type == DataType.FLOAT64 ? 1e-9 : 1e-4;
        assertEquals(left, right, tolerance * (1 + Math.abs(left)), name);
      }
      }
    }
  }
}
