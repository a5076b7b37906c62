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

  /** Uniform random inputs in [0, 1] of the network's shape, float64. */
  public static NDArray inputs(NDManager manager, Network network, int n) {
    long[] dims = new long[4];
    dims[0] = n;
    System.arraycopy(network.inputShape().getShape(), 0, dims, 1, 3);
    return manager.randomUniform(0, 1, new Shape(dims), DataType.FLOAT64);
  }
}
