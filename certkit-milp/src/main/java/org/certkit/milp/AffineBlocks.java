package org.certkit.milp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.MaxPool;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.Sigmoid;
import org.certkit.net.Tanh;

/**
 * A feed-forward ReLU network rewritten as alternating sparse affine maps and ReLUs:
 * {@code z_k = A_k h_{k-1} + b_k}, {@code h_k = relu(z_k)} for {@code k = 1..L-1}, with
 * {@code h_0} the input, and the output {@code y = A_L h_{L-1} + b_L}.
 *
 * <p>Every layer between two ReLUs is folded into one map: the elementwise affine layers
 * (Normalize, BatchNorm with running statistics) scale rows and shift offsets, Flatten only
 * changes the layout, and Linear and Conv2d compose with what came before. A convolution becomes
 * one sparse row per output unit over its receptive field (zero padding omitted), so the rows of
 * convolutional networks stay short. Weights are read as float32 and used as float64; the
 * BatchNorm scale is computed in float64. This is the form the {@link MixedIntegerEncoding}
 * encodes.
 */
final class AffineBlocks {

  /**
   * One sparse affine map: output unit {@code j} is {@code sum_t weight[j][t] * in[index[j][t]] +
   * offset[j]}.
   *
   * @param index input indices of each row
   * @param weight coefficients of each row, as many as its indices
   * @param offset constant of each row
   * @param inputs number of input units
   */
  record Map(int[][] index, double[][] weight, double[] offset, int inputs) {

    /** Number of output units. */
    int outputs() {
      return offset.length;
    }
  }

  /** The unit layout between layers: {@code C x H x W}, or {@code channels} features when flat. */
  private record Layout(int channels, int height, int width, boolean flat) {
    int size() {
      return channels * height * width;
    }

    int channelOf(int unit) {
      return unit / (height * width);
    }
  }

  private final List<Map> maps;

  private AffineBlocks(List<Map> maps) {
    this.maps = List.copyOf(maps);
  }

  /**
   * The blocks of {@code layers}.
   *
   * @param inputShape {@code (C, H, W)} or {@code (features)}
   */
  static AffineBlocks of(List<Layer> layers, long[] inputShape) {
    Layout layout = switch (inputShape.length) {
      case 1 -> new Layout((int) inputShape[0], 1, 1, true);
      case 3 -> new Layout((int) inputShape[0], (int) inputShape[1], (int) inputShape[2], false);
      default -> throw new IllegalArgumentException(
          "MILP bounds need an input shape (C, H, W) or (features), got rank "
              + inputShape.length);
    };
    List<Map> maps = new ArrayList<>();
    Map current = identity(layout.size());
    for (int index = 0; index < layers.size(); index++) {
      Layer layer = layers.get(index);
      switch (layer) {
        case Linear l -> {
          if (!layout.flat() || layout.size() != l.inFeatures()) {
            throw mismatch(index, layer, layout);
          }
          current = compose(linear(l), current);
          layout = new Layout(l.outFeatures(), 1, 1, true);
        }
        case Conv2d c -> {
          if (layout.flat() || layout.channels() != c.inChannels()) {
            throw mismatch(index, layer, layout);
          }
          Layout out = new Layout(c.outChannels(), c.outputSize(layout.height()),
              c.outputSize(layout.width()), false);
          current = compose(conv2d(c, layout, out), current);
          layout = out;
        }
        case Relu r -> {
          maps.add(current);
          current = identity(layout.size());
        }
        case Flatten f -> layout = new Layout(layout.size(), 1, 1, true);
        case Normalize n -> {
          float[] mean = n.mean();
          float[] std = n.std();
          double[] scale = new double[layout.size()];
          double[] shift = new double[layout.size()];
          for (int k = 0; k < scale.length; k++) {
            int c = channel(layout, k, mean.length, true, index, layer);
            scale[k] = 1.0 / std[c];
            shift[k] = -(double) mean[c] / std[c];
          }
          current = elementwise(current, scale, shift);
        }
        case BatchNorm b -> {
          double[] perChannelScale;
          double[] perChannelShift;
          try (NDManager scratch = b.gamma().getManager().newSubManager()) {
            BatchNorm.Affine affine = b.affine(BatchStatistics.evaluation()
                .recordedOrRunning(index, b), scratch.zeros(new Shape(1, b.channels()),
                DataType.FLOAT64));
            perChannelScale = affine.scale().toDoubleArray();
            perChannelShift = affine.shift().toDoubleArray();
          }
          double[] scale = new double[layout.size()];
          double[] shift = new double[layout.size()];
          for (int k = 0; k < scale.length; k++) {
            int c = channel(layout, k, b.channels(), false, index, layer);
            scale[k] = perChannelScale[c];
            shift[k] = perChannelShift[c];
          }
          current = elementwise(current, scale, shift);
        }
        case Add a -> throw new IllegalArgumentException("MILP bounds support chain networks;"
            + " node " + index + " is an Add");
        case AvgPool p -> throw unsupported(index, layer);
        case MaxPool p -> throw unsupported(index, layer);
        case Sigmoid sg -> throw unsupported(index, layer);
        case Tanh t -> throw unsupported(index, layer);
      }
    }
    maps.add(current);
    return new AffineBlocks(maps);
  }

  /** The maps {@code A_1 .. A_L}: every map but the last is followed by a ReLU. */
  List<Map> maps() {
    return maps;
  }

  /** Number of ReLU layers, {@code L - 1}. */
  int reluLayers() {
    return maps.size() - 1;
  }

  /** The network's outputs at {@code input} in float64: the maps with ReLUs between them. */
  double[] evaluate(double[] input) {
    double[] h = input;
    for (int k = 0; k < maps.size(); k++) {
      Map map = maps.get(k);
      double[] z = new double[map.outputs()];
      for (int j = 0; j < z.length; j++) {
        double sum = map.offset()[j];
        for (int t = 0; t < map.index()[j].length; t++) {
          sum += map.weight()[j][t] * h[map.index()[j][t]];
        }
        z[j] = k < maps.size() - 1 ? Math.max(0, sum) : sum;
      }
      h = z;
    }
    return h;
  }

  /** The identity map on {@code n} units. */
  private static Map identity(int n) {
    int[][] index = new int[n][];
    double[][] weight = new double[n][];
    for (int j = 0; j < n; j++) {
      index[j] = new int[] {j};
      weight[j] = new double[] {1};
    }
    return new Map(index, weight, new double[n], n);
  }

  /** {@code scale * map + shift}, unit by unit. */
  private static Map elementwise(Map map, double[] scale, double[] shift) {
    int n = map.outputs();
    double[][] weight = new double[n][];
    double[] offset = new double[n];
    for (int j = 0; j < n; j++) {
      weight[j] = map.weight()[j].clone();
      for (int t = 0; t < weight[j].length; t++) {
        weight[j][t] *= scale[j];
      }
      offset[j] = map.offset()[j] * scale[j] + shift[j];
    }
    return new Map(map.index(), weight, offset, map.inputs());
  }

  /** {@code outer(inner(x))}; rows of the result list only non-zero coefficients. */
  static Map compose(Map outer, Map inner) {
    int n = outer.outputs();
    int[][] index = new int[n][];
    double[][] weight = new double[n][];
    double[] offset = new double[n];
    double[] dense = new double[inner.inputs()];
    boolean[] touched = new boolean[inner.inputs()];
    int[] order = new int[inner.inputs()];
    for (int j = 0; j < n; j++) {
      int count = 0;
      double constant = outer.offset()[j];
      int[] outerIndex = outer.index()[j];
      double[] outerWeight = outer.weight()[j];
      for (int t = 0; t < outerIndex.length; t++) {
        double w = outerWeight[t];
        if (w == 0) {
          continue;
        }
        int i = outerIndex[t];
        constant += w * inner.offset()[i];
        int[] innerIndex = inner.index()[i];
        double[] innerWeight = inner.weight()[i];
        for (int s = 0; s < innerIndex.length; s++) {
          int p = innerIndex[s];
          if (!touched[p]) {
            touched[p] = true;
            order[count++] = p;
          }
          dense[p] += w * innerWeight[s];
        }
      }
      java.util.Arrays.sort(order, 0, count);
      int kept = 0;
      for (int s = 0; s < count; s++) {
        if (dense[order[s]] != 0) {
          kept++;
        }
      }
      index[j] = new int[kept];
      weight[j] = new double[kept];
      kept = 0;
      for (int s = 0; s < count; s++) {
        int p = order[s];
        if (dense[p] != 0) {
          index[j][kept] = p;
          weight[j][kept++] = dense[p];
        }
        dense[p] = 0;
        touched[p] = false;
      }
      offset[j] = constant;
    }
    return new Map(index, weight, offset, inner.inputs());
  }

  private static Map linear(Linear l) {
    double[] w = values(l.weight());
    double[] b = values(l.bias());
    int in = l.inFeatures();
    int out = l.outFeatures();
    int[] all = new int[in];
    for (int i = 0; i < in; i++) {
      all[i] = i;
    }
    int[][] index = new int[out][];
    double[][] weight = new double[out][];
    double[] offset = new double[out];
    for (int j = 0; j < out; j++) {
      index[j] = all;
      weight[j] = new double[in];
      for (int i = 0; i < in; i++) {
        weight[j][i] = w[j * in + i];
      }
      offset[j] = b[j];
    }
    return new Map(index, weight, offset, in);
  }

  private static Map conv2d(Conv2d conv, Layout from, Layout to) {
    double[] w = values(conv.weight());
    double[] b = values(conv.bias());
    int k = conv.kernelSize();
    int s = conv.stride();
    int p = conv.padding();
    int n = to.size();
    int[][] index = new int[n][];
    double[][] weight = new double[n][];
    double[] offset = new double[n];
    int[] rowIndex = new int[from.channels() * k * k];
    double[] rowWeight = new double[rowIndex.length];
    for (int o = 0; o < to.channels(); o++) {
      for (int row = 0; row < to.height(); row++) {
        for (int col = 0; col < to.width(); col++) {
          int count = 0;
          for (int c = 0; c < from.channels(); c++) {
            for (int ki = 0; ki < k; ki++) {
              int h = row * s - p + ki;
              if (h < 0 || h >= from.height()) {
                continue;
              }
              for (int kj = 0; kj < k; kj++) {
                int x = col * s - p + kj;
                if (x < 0 || x >= from.width()) {
                  continue;
                }
                rowIndex[count] = (c * from.height() + h) * from.width() + x;
                rowWeight[count++] = w[((o * from.channels() + c) * k + ki) * k + kj];
              }
            }
          }
          int unit = (o * to.height() + row) * to.width() + col;
          index[unit] = java.util.Arrays.copyOf(rowIndex, count);
          weight[unit] = java.util.Arrays.copyOf(rowWeight, count);
          offset[unit] = b[o];
        }
      }
    }
    return new Map(index, weight, offset, from.size());
  }

  /**
   * The channel of {@code unit} for a per-channel layer with {@code channels} channels; on flat
   * inputs every feature is a channel, or, when {@code broadcast} (Normalize), one channel serves
   * all.
   */
  private static int channel(Layout layout, int unit, int channels, boolean broadcast, int index,
      Layer layer) {
    if (layout.flat()) {
      if (broadcast && channels == 1) {
        return 0;
      }
      if (channels == layout.size()) {
        return unit;
      }
    } else if (channels == layout.channels()) {
      return layout.channelOf(unit);
    }
    throw mismatch(index, layer, layout);
  }

  private static IllegalArgumentException mismatch(int index, Layer layer, Layout layout) {
    return new IllegalArgumentException("layer " + index + " (" + layer.describe()
        + ") does not fit its input " + (layout.flat() ? "of " + layout.size() + " features"
            : layout.channels() + "x" + layout.height() + "x" + layout.width()));
  }

  /** The values of a float32 or float64 parameter, as doubles. */
  /** The encoding is for affine layers and ReLU. */
  private static IllegalArgumentException unsupported(int index, Layer layer) {
    return new IllegalArgumentException("MILP bounds support affine layers and ReLU; node "
        + index + " is " + layer.describe());
  }

  private static double[] values(NDArray array) {
    if (array.getDataType() == DataType.FLOAT64) {
      return array.toDoubleArray();
    }
    float[] floats = array.toFloatArray();
    double[] out = new double[floats.length];
    for (int k = 0; k < floats.length; k++) {
      out[k] = floats[k];
    }
    return out;
  }
}
