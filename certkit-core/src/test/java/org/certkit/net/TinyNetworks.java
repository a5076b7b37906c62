package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Small networks and inputs for tests that compare against enumeration or sampling. */
public final class TinyNetworks {

  private TinyNetworks() {}

  /** A 1x2x2 input (4 pixels) with 3 classes and a non-trivial normalisation. */
  public static final InputFormat FOUR_PIXELS =
      new InputFormat(1, 2, 2, new float[] {0.3f}, new float[] {0.4f}, 3);

  /** A 1x8x8 input with 4 classes. */
  public static final InputFormat EIGHT_BY_EIGHT =
      new InputFormat(1, 8, 8, new float[] {0.5f}, new float[] {0.25f}, 4);

  /** A fully connected net 4-8-8-3. */
  public static Network fc(NDManager manager, long seed) {
    return Architectures.build(new Architectures.Spec("fc", 1, new int[] {8, 8}), FOUR_PIXELS,
        Initialization.DEFAULT, seed, manager);
  }

  /** CNN3 with BatchNorm, width 0.25 (4 and 8 channels), on 8x8 inputs. */
  public static Network convBn(NDManager manager, long seed) {
    return Architectures.build(new Architectures.Spec("cnn3-bn", 0.25, new int[0]),
        EIGHT_BY_EIGHT, Initialization.DEFAULT, seed, manager);
  }

  /**
   * A graph on the 4-pixel input: Normalize, Flatten, Linear(4->6), ReLU, then a residual block
   * {@code h -> ReLU(h + Linear(ReLU(Linear(h))))} of width 6, and Linear(6->3).
   */
  public static Network residual(NDManager manager, long seed) {
    NDManager owner = manager.newSubManager();
    java.util.Random random = new java.util.Random(seed);
    java.util.List<Layer> layers = java.util.List.of(
        new Normalize(FOUR_PIXELS.mean(), FOUR_PIXELS.std()), new Flatten(),
        linear(owner, random, 6, 4), new Relu(), linear(owner, random, 6, 6), new Relu(),
        linear(owner, random, 6, 6), new Add(), new Relu(), linear(owner, random, 3, 6));
    java.util.List<int[]> inputs = java.util.List.of(new int[] {Network.INPUT}, new int[] {0},
        new int[] {1}, new int[] {2}, new int[] {3}, new int[] {4}, new int[] {5},
        new int[] {3, 6}, new int[] {7}, new int[] {8});
    return new Network("residual", FOUR_PIXELS.shape(), layers, inputs, owner);
  }

  /**
   * A chain with every non-ReLU nonlinearity on 8x8 inputs: Normalize, Conv(1->3, 3, s1, p1),
   * Sigmoid, AvgPool(2, s2), Conv(3->4, 3, s1, p1), Tanh, MaxPool(3, s2, p1), Flatten,
   * Linear(16->4).
   */
  public static Network smooth(NDManager manager, long seed) {
    NDManager owner = manager.newSubManager();
    java.util.Random random = new java.util.Random(seed);
    java.util.List<Layer> layers = java.util.List.of(
        new Normalize(EIGHT_BY_EIGHT.mean(), EIGHT_BY_EIGHT.std()), conv(owner, random, 3, 1),
        new Sigmoid(), new AvgPool(2, 2, 0), conv(owner, random, 4, 3), new Tanh(),
        new MaxPool(3, 2, 1), new Flatten(), linear(owner, random, 4, 16));
    return new Network("smooth", EIGHT_BY_EIGHT.shape(), layers, owner);
  }

  private static Conv2d conv(NDManager manager, java.util.Random random, int out, int in) {
    float[] w = new float[out * in * 9];
    float[] b = new float[out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (random.nextGaussian() / Math.sqrt(in * 9.0));
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (0.1 * random.nextGaussian());
    }
    return new Conv2d(manager.create(w, new Shape(out, in, 3, 3)), manager.create(b), 1, 1);
  }

  private static Linear linear(NDManager manager, java.util.Random random, int out, int in) {
    float[] w = new float[out * in];
    float[] b = new float[out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (random.nextGaussian() / Math.sqrt(in));
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (0.1 * random.nextGaussian());
    }
    return new Linear(manager.create(w, new Shape(out, in)), manager.create(b));
  }

  /** Labels {@code 0, 1, ..., classes - 1, 0, 1, ...} of {@code n} examples, int64. */
  public static NDArray labels(NDManager manager, int n, int classes) {
    NDArray i = manager.arange(0, n, 1, DataType.INT64);
    return i.mod(manager.create((long) classes));
  }

  /** Uniform random inputs in [0, 1] of the network's shape, float64. */
  public static NDArray inputs(NDManager manager, Network network, int n) {
    long[] dims = new long[4];
    dims[0] = n;
    System.arraycopy(network.inputShape().getShape(), 0, dims, 1, 3);
    return manager.randomUniform(0, 1, new Shape(dims), DataType.FLOAT64);
  }

  /**
   * Points of the L-inf ball of {@code x} (one example, batch axis 1) clipped to [0, 1]: all
   * corners when there are at most 2^12, then {@code samples} uniform points.
   */
  public static NDArray ballPoints(NDArray x, double eps, int samples, long seed) {
    double[] lo = x.sub(eps).clip(0, 1).toDoubleArray();
    double[] hi = x.add(eps).clip(0, 1).toDoubleArray();
    int dims = lo.length;
    int corners = dims <= 12 ? 1 << dims : 0;
    double[] values = new double[(corners + samples) * dims];
    for (int c = 0; c < corners; c++) {
      for (int d = 0; d < dims; d++) {
        values[c * dims + d] = ((c >> d) & 1) == 1 ? hi[d] : lo[d];
      }
    }
    java.util.Random random = new java.util.Random(seed);
    for (int s = 0; s < samples; s++) {
      for (int d = 0; d < dims; d++) {
        values[(corners + s) * dims + d] = lo[d] + random.nextDouble() * (hi[d] - lo[d]);
      }
    }
    long[] shape = x.getShape().getShape().clone();
    shape[0] = corners + samples;
    return x.getManager().create(values, new Shape(shape));
  }

  /** Gives every BatchNorm layer random running statistics and affine parameters. */
  public static void randomiseBatchNorm(Network net, NDManager manager) {
    for (Layer layer : net.layers()) {
      if (layer instanceof BatchNorm b) {
        Shape s = b.runningMean().getShape();
        b.runningMean().set(manager.randomNormal(s).mul(0.1).toFloatArray());
        b.runningVar().set(manager.randomUniform(0.5f, 2f, s).toFloatArray());
        b.gamma().set(manager.randomUniform(-1.5f, 1.5f, s).toFloatArray());
        b.beta().set(manager.randomNormal(s).mul(0.2).toFloatArray());
      }
    }
  }
}
