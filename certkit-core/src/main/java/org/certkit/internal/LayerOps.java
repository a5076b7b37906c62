package org.certkit.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

/**
 * Engine calls shared by the domains: affine maps with given weights, and the rule that every
 * result is owned by the manager of the batch, never by the network's long-lived manager.
 *
 * <p>In DJL the result of an operation belongs to the manager of its first operand. Operations
 * whose first operand is a parameter (such as {@code weight.abs()}) would therefore accumulate in
 * the network's manager on every batch; {@link #owned} moves such results to the batch's manager.
 */
public final class LayerOps {

  private LayerOps() {}

  /** Moves {@code array} to {@code manager} and returns it. */
  public static NDArray owned(NDArray array, NDManager manager) {
    array.attach(manager);
    return array;
  }

  /** {@code |array|}, owned by {@code manager}, in {@code like}'s data type. */
  public static NDArray abs(NDArray array, NDManager manager, NDArray like) {
    return owned(cast(array, like, manager).abs(), manager);
  }

  /** {@code array} converted to the data type of {@code like} (the same array when it already is). */
  public static NDArray cast(NDArray array, NDArray like, NDManager manager) {
    if (array.getDataType() == like.getDataType()) {
      return array;
    }
    return owned(array.toType(like.getDataType(), false), manager);
  }

  /** {@code x W^T + b} for {@code x [N, in]}; a null bias means none. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    NDManager m = x.getManager();
    return Linear.linear(x, cast(weight, x, m), bias == null ? null : cast(bias, x, m))
        .singletonOrThrow();
  }

  /** Convolution of {@code x [N, C, H, W]}; a null bias means none. */
  public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
    NDManager m = x.getManager();
    return Conv2d.conv2d(x, cast(weight, x, m), bias == null ? null : cast(bias, x, m),
            new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1)
        .singletonOrThrow();
  }

  /** A per-channel constant vector shaped to broadcast against {@code like}. */
  public static NDArray perChannel(float[] values, NDArray like) {
    NDArray v = like.getManager().create(values).toType(like.getDataType(), false);
    return like.getShape().dimension() == 4
        ? v.reshape(1, values.length, 1, 1)
        : v.reshape(1, values.length);
  }
}
