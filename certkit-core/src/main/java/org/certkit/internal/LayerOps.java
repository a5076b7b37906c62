package org.certkit.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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

  /**
   * The adjoint of {@link #conv2d} without bias (a transposed convolution), written as a plain
   * convolution because the engine has no transposed convolution: the input is dilated by the
   * stride, padded by {@code k - 1 - padding} (plus the output padding at the bottom and right),
   * and convolved with the kernel flipped in space and with its channel axes swapped.
   *
   * @param x {@code [N, C_out, H_out, W_out]}
   * @param weight the forward kernel {@code [C_out, C_in, k, k]}
   * @param outputPaddingH rows added at the bottom so the result has the forward input height
   * @param outputPaddingW columns added at the right, likewise
   * @return {@code [N, C_in, H_in, W_in]}
   */
  public static NDArray conv2dTranspose(NDArray x, NDArray weight, int stride, int padding,
      int outputPaddingH, int outputPaddingW) {
    NDManager m = x.getManager();
    int k = (int) weight.getShape().get(2);
    NDArray dilated = dilate(dilate(x, 3, stride), 2, stride);
    NDArray padded = padEnd(padEnd(dilated, 2, outputPaddingH), 3, outputPaddingW);
    NDArray kernel = owned(cast(weight, x, m).transpose(1, 0, 2, 3), m).flip(2, 3);
    return conv2d(padded, kernel, null, 1, k - 1 - padding);
  }

  /** Inserts {@code stride - 1} zeros between neighbours along {@code axis}. */
  private static NDArray dilate(NDArray x, int axis, int stride) {
    if (stride == 1) {
      return x;
    }
    NDList parts = new NDList(x);
    for (int i = 1; i < stride; i++) {
      parts.add(x.zerosLike());
    }
    NDArray stacked = NDArrays.stack(parts, axis + 1);
    Shape shape = x.getShape();
    long[] dims = shape.getShape().clone();
    dims[axis] = shape.get(axis) * stride;
    NDArray spread = stacked.reshape(new Shape(dims));
    long keep = (shape.get(axis) - 1) * stride + 1;
    return spread.get(new ai.djl.ndarray.index.NDIndex(axisSlice(shape.dimension(), axis, keep)));
  }

  /** Appends {@code count} zero slices at the end of {@code axis}. */
  private static NDArray padEnd(NDArray x, int axis, int count) {
    if (count <= 0) {
      return x;
    }
    long[] dims = x.getShape().getShape().clone();
    dims[axis] = count;
    return x.concat(x.getManager().zeros(new Shape(dims), x.getDataType()), axis);
  }

  private static String axisSlice(int rank, int axis, long keep) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rank; i++) {
      sb.append(i > 0 ? "," : "").append(i == axis ? ":" + keep : ":");
    }
    return sb.toString();
  }

  /** A per-channel constant vector shaped to broadcast against {@code like}. */
  public static NDArray perChannel(float[] values, NDArray like) {
    NDArray v = like.getManager().create(values).toType(like.getDataType(), false);
    return like.getShape().dimension() == 4
        ? v.reshape(1, values.length, 1, 1)
        : v.reshape(1, values.length);
  }
}
